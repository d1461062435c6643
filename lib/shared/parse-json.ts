import { isUtf8 } from 'node:buffer';
import { WebhookError } from '../errors';
import { NumbersWritten, hasDuplicateKey, keyCounts, startsLikeAnIndex } from './duplicate-keys';

export interface JsonLimits {
  /** Deepest nesting accepted. Default 32. */
  readonly maxDepth: number;
  /** Longest array accepted. Default 1000 (providers send a handful of links). */
  readonly maxArrayLength: number;
}

const DEFAULT_LIMITS: JsonLimits = { maxDepth: 32, maxArrayLength: 1000 };

/**
 * Reject what JSON.parse lets through but this library must not pass on: prototype keys
 * (`__proto__`, `constructor.prototype`) that a later merge could turn into pollution, and
 * nesting deeper or arrays longer than any provider sends. Iterative, so hostile depth cannot overflow the stack.
 */
export function checkJson(value: unknown, limits: JsonLimits = DEFAULT_LIMITS): unknown {
  // Two parallel stacks rather than one of { value, depth } pairs: no object allocated per node.
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const node = values.pop();
    const depth = depths.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limits.maxDepth) throw new WebhookError('json_too_deep');
    if (Array.isArray(node)) {
      if (node.length > limits.maxArrayLength) throw new WebhookError('json_array_too_long');
      for (const item of node) {
        values.push(item);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const key of Object.keys(node)) {
      const child = (node as Record<string, unknown>)[key];
      if (forbidden(key, child)) throw new WebhookError('forbidden_json_key');
      values.push(child);
      depths.push(depth + 1);
    }
  }
  return value;
}

/** A prototype key that a later merge could turn into pollution. */
const forbidden = (key: string, child: unknown) =>
  key === '__proto__' || (key === 'constructor' && child !== null && typeof child === 'object' && 'prototype' in child);

/** What the one walk found: the checks passed; a repeated key; or something the separate checks must rule on. */
const enum Walked { Passed, RepeatedKey, Undecided }

/** The deepest nesting the one walk recurses into; deeper limits are left to the separate, iterative checks. */
const MAX_WALK_DEPTH = 64;

// The one walk's state: the keys each object names in the text, and the next object's place among them. The walk is
// synchronous; `counted` is emptied when it ends.
let counted: readonly number[] = [];
let nextObject = 0;
/** Filled by `keyCounts` for the walk, shared by every parse. */
const keyCountsOfText: number[] = [];

/**
 * The checks of `parseJsonText` in one pre-order walk of the parsed value: the repeated-key check (the keys each
 * object names in the text against those it has parsed, see `hasDuplicateKey`) and the forbidden-key, depth and
 * array-length limits. Anything out of the ordinary (a limit passed, an integer-like key, more keys than the text
 * names) is left `Undecided`, for the separate checks to rule on as they always did. Recursive, within the depth
 * limit, so that nothing is allocated: no stack, no list of keys. The redaction is not part of it: a duplicate,
 * most of what a provider retries, is answered without it.
 */
function walkOnce(counts: readonly number[], value: unknown, limits: JsonLimits): Walked {
  if (limits.maxDepth > MAX_WALK_DEPTH) return Walked.Undecided;
  counted = counts;
  nextObject = 0;
  try {
    return walked(value, 0, limits);
  } finally {
    counted = [];
  }
}

function walked(node: unknown, depth: number, limits: JsonLimits): Walked {
  if (node === null || typeof node !== 'object') return Walked.Passed;
  if (depth >= limits.maxDepth) return Walked.Undecided;
  if (Array.isArray(node)) {
    if (node.length > limits.maxArrayLength) return Walked.Undecided;
    for (let i = 0; i < node.length; i++) {
      const found = walked(node[i], depth + 1, limits);
      if (found !== Walked.Passed) return found;
    }
    return Walked.Passed;
  }
  const object = node as Record<string, unknown>;
  let keys = 0;
  // for…in, not Object.keys: no array made per object. Own keys only, unless something made Object.prototype's enumerable.
  for (const _ in object) keys++;
  const written = counted[nextObject++];
  if (keys !== written) return written !== undefined && keys < written ? Walked.RepeatedKey : Walked.Undecided;
  for (const key in object) {
    const child = object[key];
    // Integer-like keys come first: an object JSON.parse reordered is left to the separate checks before anything in it is walked.
    if (startsLikeAnIndex(key) || forbidden(key, child)) return Walked.Undecided;
    const found = walked(child, depth + 1, limits);
    if (found !== Walked.Passed) return found;
  }
  return Walked.Passed;
}

/**
 * What the parser's scan found of the text last parsed. One slot, no map: the delivery that parsed it asks right
 * after, and a later parse in between only costs the caller the checks it would make without it.
 */
let lastParsed: { readonly text: string; readonly facts: TextFacts } | undefined;

/** What the parser's scan of a text found: its numbers (outside strings), and whether every character is ASCII. */
export interface TextFacts {
  /** A number of 13 characters or more, whose digits `JSON.parse` may have rounded or reshaped. */
  readonly longNumber: boolean;
  /** A number with an exponent. */
  readonly exponent: boolean;
  /** Every character is ASCII (the bytes were one per character). */
  readonly ascii: boolean;
}

/** What the parser found of `text`, when it is the text last parsed (and its checks passed); else `undefined`. */
export function factsOf(text: string): TextFacts | undefined {
  return text === lastParsed?.text ? lastParsed.facts : undefined;
}

/**
 * Whether `text`, a JSON text the parser took, writes a number of 13 characters or more, whose digits `JSON.parse`
 * may have rounded or reshaped: `false` when the parser's scan found none in it, else `undefined` (not known).
 */
export function writesLongNumber(text: string): false | undefined {
  return factsOf(text)?.longNumber === false ? false : undefined;
}

/**
 * Decode strict UTF-8 (a leading BOM is dropped; invalid UTF-8, and so UTF-16 or Latin-1 bodies, is
 * refused), parse, refuse repeated keys, then `checkJson`.
 */
export function parseJson(raw: Buffer, limits: JsonLimits = DEFAULT_LIMITS): unknown {
  return parseJsonText(raw, limits).value;
}

/** `parseJson`, with the text it parsed: valid JSON of exactly that value, to keep rather than serialize the value again. */
export function parseJsonText(raw: Buffer, limits: JsonLimits = DEFAULT_LIMITS): { readonly value: unknown; readonly text: string } {
  if (raw.length === 0) throw new WebhookError('empty_body');
  if (!isUtf8(raw)) throw new WebhookError('invalid_json', { message: 'Request body is not valid UTF-8.' });
  const bom = raw.length >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  const text = raw.toString('utf8', bom);
  if (text.trim() === '') throw new WebhookError('empty_body');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WebhookError('invalid_json');
  }
  const counts = keyCountsOfText;
  const numbers = keyCounts(text, counts);
  let walked: Walked;
  try {
    walked = walkOnce(counts, value, limits);
  } finally {
    counts.length = 0;
  }
  lastParsed = walked !== Walked.Passed ? undefined : {
    text,
    facts: {
      longNumber: (numbers & NumbersWritten.Long) !== 0,
      exponent: (numbers & NumbersWritten.Exponent) !== 0,
      ascii: raw.length - bom === text.length,
    },
  };
  if (walked === Walked.RepeatedKey) throw new WebhookError('duplicate_json_key');
  if (walked === Walked.Undecided) {
    if (hasDuplicateKey(text, value)) throw new WebhookError('duplicate_json_key');
    checkJson(value, limits);
  }
  return { value, text };
}
