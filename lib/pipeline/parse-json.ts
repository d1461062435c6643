import { WebhookError } from '../errors';

export interface JsonLimits {
  /** Deepest nesting accepted. Default 32. */
  readonly maxDepth: number;
}

const DEFAULT_LIMITS: JsonLimits = { maxDepth: 32 };
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Reject what JSON.parse lets through but this library must not pass on: prototype keys
 * (`__proto__`, `constructor.prototype`) that a later merge could turn into pollution, and
 * nesting deeper than any provider sends. Iterative, so hostile depth cannot overflow the stack.
 */
export function checkJson(value: unknown, limits: JsonLimits = DEFAULT_LIMITS): unknown {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limits.maxDepth) throw new WebhookError('json_too_deep');
    if (Array.isArray(node)) {
      for (const item of node) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(node)) {
      const child = (node as Record<string, unknown>)[key];
      if (key === '__proto__' || (key === 'constructor' && child !== null && typeof child === 'object' && 'prototype' in child)) {
        throw new WebhookError('forbidden_json_key');
      }
      stack.push({ value: child, depth: depth + 1 });
    }
  }
  return value;
}

/** Decode strict UTF-8 (a leading BOM is dropped), parse, then `checkJson`. */
export function parseJson(raw: Buffer, limits?: JsonLimits): unknown {
  if (raw.length === 0) throw new WebhookError('empty_body');
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new WebhookError('invalid_json', { message: 'Request body is not valid UTF-8.' });
  }
  if (text.trim() === '') throw new WebhookError('empty_body');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WebhookError('invalid_json');
  }
  return checkJson(value, limits);
}
