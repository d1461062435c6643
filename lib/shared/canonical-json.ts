import { hash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level and no whitespace: equal for equal values, whatever the sender's formatting.
 * Ids made from it are stored (`contentId`): its text for a value never changes from one release to the next.
 * Written with loops onto one string: a provider whose events carry no id pays for it on every delivery.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text += ',';
      // A hole stays empty, as `Array.prototype.join` writes it; `undefined` is `null`, as in JSON.
      if (i in value) text += canonicalJson(value[i] === undefined ? null : value[i]);
    }
    return `${text}]`;
  }
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const keys = sortedKeys(object);
    let text = '{';
    for (const key of keys) {
      const item = object[key];
      if (item === undefined) continue;
      if (text.length > 1) text += ',';
      text += `${JSON.stringify(key)}:${canonicalJson(item)}`;
    }
    return `${text}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `Object.keys(object).sort()`: an object's few keys sorted in place by insertion, as `sort` orders strings (by
 * UTF-16 code units), without the copies `sort` makes of every array it is given. Many keys go to `sort`.
 */
function sortedKeys(object: object): string[] {
  const keys = Object.keys(object);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

/**
 * An id for a notification that carries none: a hash of its canonical JSON, so a retry re-serialized with
 * other key order or whitespace is still a duplicate. `sha256:<hex>`.
 */
export function contentId(value: unknown): string {
  return `sha256:${hash('sha256', canonicalJson(value), 'hex')}`;
}
