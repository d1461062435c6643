import { isUtf8 } from 'node:buffer';
import { WebhookError } from '../errors';
import { hasDuplicateKey } from './duplicate-keys';

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
      if (key === '__proto__' || (key === 'constructor' && child !== null && typeof child === 'object' && 'prototype' in child)) {
        throw new WebhookError('forbidden_json_key');
      }
      values.push(child);
      depths.push(depth + 1);
    }
  }
  return value;
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
  if (hasDuplicateKey(text, value)) throw new WebhookError('duplicate_json_key');
  return { value: checkJson(value, limits), text };
}
