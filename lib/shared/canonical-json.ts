import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level and no whitespace: equal for equal values, whatever the sender's formatting. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * An id for a notification that carries none: a hash of its canonical JSON, so a retry re-serialized with
 * other key order or whitespace is still a duplicate. `sha256:<hex>`.
 */
export function contentId(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}
