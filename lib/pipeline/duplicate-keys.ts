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
 * `true` when some object in `text` names a key twice. `text` must already be valid JSON
 * (run after `JSON.parse`). Keys are compared after unescaping, so `"a"` and `"\u0061"` collide.
 *
 * Why refuse: `JSON.parse` keeps the last value and other parsers keep the first, so one signed
 * body could mean two things; a sender never needs a repeated key. Linear, no recursion.
 */
export function hasDuplicateKey(text: string): boolean {
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
