/** The index of the quote closing the string opened at `open` (found with `indexOf`: strings are most of a body). */
function closingQuote(text: string, open: number): number {
  let end = open;
  for (;;) {
    end = text.indexOf('"', end + 1);
    if (end < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 0x5c /* \\ */) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
}

/**
 * `true` when some object in `text` names a key twice. `text` must be valid JSON and `parsed` what
 * `JSON.parse` made of it. Keys are compared after unescaping, so `"a"` and `"\u0061"` collide.
 *
 * Why refuse: `JSON.parse` keeps the last value and other parsers keep the first, so one signed
 * body could mean two things; a sender never needs a repeated key. Linear, no recursion.
 *
 * How, without building a set of keys per object: the keys each object names in the text are counted, and
 * compared with the keys of the parsed objects met in the same order. An object that repeats a key has
 * fewer keys parsed than written, and every object before it in the text is matched by its parsed self.
 * Objects with integer-like keys, which `JSON.parse` reorders, are checked key by key instead.
 */
export function hasDuplicateKey(text: string, parsed: unknown = JSON.parse(text)): boolean {
  const counts: number[] = [];
  keyCounts(text, counts);
  let next = 0;
  const stack: unknown[] = [parsed];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push(node[i]);
      continue;
    }
    const keys = Object.keys(node);
    if (keys.length !== counts[next++]) return true;
    for (let i = keys.length - 1; i >= 0; i--) {
      if (startsLikeAnIndex(keys[i]!)) return repeatsAKey(text);
      stack.push((node as Record<string, unknown>)[keys[i]!]);
    }
  }
  return false;
}

/** A key `JSON.parse` may move ahead of the others (an integer-like one): objects holding one are checked by `repeatsAKey`. */
export function startsLikeAnIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  return first >= 0x30 && first <= 0x39;
}

/** What `keyCounts` found of the numbers a text writes (outside strings), as bits. */
export const enum NumbersWritten {
  /** Only numbers of fewer than 13 characters, none with an exponent. */
  Short = 0,
  /** A number of 13 characters or more (a leading minus sign not counted): digits `JSON.parse` may have rounded or reshaped. */
  Long = 1,
  /** A number with an exponent (`4111111111e6`): however few its characters, its value may be large. */
  Exponent = 2,
}

/**
 * Fills `counts` (emptied first) with how many keys each object of `text` names, objects in the order they open (the
 * order of a pre-order walk), and answers what the numbers outside strings are (`NumbersWritten`, as bits):
 * written with 13 characters or more (`0.41111111111111111`, `4111111111111111.0`), or with an exponent. `text`
 * must be valid JSON.
 */
export function keyCounts(text: string, counts: number[]): number {
  counts.length = 0;
  const open = openContainers;
  open.length = 0;
  let expectKey = false;
  let numbers: number = NumbersWritten.Short;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      if (expectKey) {
        counts[open[open.length - 1]!]!++;
        expectKey = false;
      }
      i = closingQuote(text, i);
    } else if (c === 0x7b /* { */) {
      open.push(counts.length);
      counts.push(0);
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      open.push(-1);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      open.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = open.length > 0 && open[open.length - 1]! >= 0;
    } else if ((c >= 0x30 && c <= 0x39) || c === 0x2d /* - */) {
      const start = c === 0x2d ? i + 1 : i;
      let end = i + 1;
      for (let n = text.charCodeAt(end); end < text.length && isNumberCharacter(n); n = text.charCodeAt(++end)) {
        if (n === 0x65 /* e */ || n === 0x45 /* E */) numbers |= NumbersWritten.Exponent;
      }
      if (end - start >= 13) numbers |= NumbersWritten.Long;
      i = end - 1;
    }
  }
  open.length = 0;
  return numbers;
}

/** The characters of a JSON number after its first: digits, `.`, `e`, `E`, `+`, `-`. */
const isNumberCharacter = (c: number) => (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;

/** Per open container while `keyCounts` runs: its index in counts, or -1 for an array. Shared: the scan is synchronous. */
const openContainers: number[] = [];

/** The exact check, by the keys themselves: for objects whose keys `JSON.parse` does not keep in the order written. */
function repeatsAKey(text: string): boolean {
  const objects: (Set<string> | undefined)[] = []; // one entry per open container; undefined for arrays
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = closingQuote(text, i);
      const keys = objects[objects.length - 1];
      if (expectKey && keys) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (keys.has(key)) return true;
        keys.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */) {
      objects.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      objects.push(undefined);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      objects.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = objects[objects.length - 1] !== undefined;
    }
  }
  return false;
}
