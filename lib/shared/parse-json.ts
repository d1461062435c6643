import { isUtf8 } from 'node:buffer';
import { WebhookError } from '../errors';
import { hasDuplicateKey, keyCounts, startsLikeAnIndex } from './duplicate-keys';

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

// The one walk's state, shared by every parse: the walk is synchronous, and emptied when it ends.
const keyCountsOfText: number[] = [];
const walkValues: unknown[] = [];
const walkDepths: number[] = [];

/** What the one walk found: the checks passed; a repeated key; or something the separate checks must rule on. */
const enum Walked { Passed, RepeatedKey, Undecided }

/**
 * The checks of `parseJsonText` in one pre-order walk of the parsed value: the repeated-key check (the keys each
 * object names in the text against those it has parsed, see `hasDuplicateKey`) and the forbidden-key, depth and
 * array-length limits. Anything out of the ordinary (a limit passed, an integer-like key) is left `Undecided`, for
 * the separate checks to rule on as they always did. The redaction is not part of it: a duplicate, most of what a
 * provider retries, is answered without it.
 */
function walkOnce(counts: readonly number[], value: unknown, limits: JsonLimits): Walked {
  const values = walkValues;
  const depths = walkDepths;
  values.push(value);
  depths.push(0);
  let next = 0;
  try {
    while (values.length > 0) {
      const node = values.pop();
      const depth = depths.pop()!;
      if (node === null || typeof node !== 'object') continue;
      if (depth >= limits.maxDepth) return Walked.Undecided;
      if (Array.isArray(node)) {
        if (node.length > limits.maxArrayLength) return Walked.Undecided;
        for (let i = node.length - 1; i >= 0; i--) {
          values.push(node[i]);
          depths.push(depth + 1);
        }
        continue;
      }
      const keys = Object.keys(node);
      if (keys.length !== counts[next++]) return Walked.RepeatedKey;
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        const child = (node as Record<string, unknown>)[key];
        if (startsLikeAnIndex(key) || forbidden(key, child)) return Walked.Undecided;
        values.push(child);
        depths.push(depth + 1);
      }
    }
    return Walked.Passed;
  } finally {
    values.length = 0;
    depths.length = 0;
  }
}

/**
 * The text last parsed, when it writes no number of 13 characters or more. One slot, no map: the delivery that
 * parsed it asks right after, and a later parse in between only costs the regex.
 */
let lastShortNumbered: string | undefined;

/**
 * Whether `text`, a JSON text the parser took, writes a number of 13 characters or more, whose digits `JSON.parse`
 * may have rounded or reshaped: `false` when the parser's scan found none in it, else `undefined` (not known).
 */
export function writesLongNumber(text: string): false | undefined {
  return text === lastShortNumbered ? false : undefined;
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
  const longNumber = keyCounts(text, counts);
  let walked: Walked;
  try {
    walked = walkOnce(counts, value, limits);
  } finally {
    counts.length = 0;
  }
  lastShortNumbered = walked === Walked.Passed && !longNumber ? text : undefined;
  if (walked === Walked.RepeatedKey) throw new WebhookError('duplicate_json_key');
  if (walked === Walked.Undecided) {
    if (hasDuplicateKey(text, value)) throw new WebhookError('duplicate_json_key');
    checkJson(value, limits);
  }
  return { value, text };
}
