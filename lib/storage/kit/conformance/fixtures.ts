import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Admission, Entry, EntryRecord, EventKey } from '../../storage';

/** A lease no test outlives. */
export const LONG = 60_000;
export const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;
export const T0 = Date.UTC(2025, 6, 3, 9, 0, 0);

/** A provider name of its own: every test writes under its own, so a shared database is fine. */
export const provider = (): string => `p-${randomUUID()}`;

/** A record of a new event (of a new provider), with `overrides`. */
export const record = (overrides: Partial<EntryRecord> = {}): EntryRecord => ({
  provider: provider(), id: randomUUID(), type: 'token.active', tokenRef: 'tok-1', state: 'ACTIVE',
  occurredAt: new Date(T0), receivedAt: new Date(T0 + 1234), fingerprint: 'fp-1',
  body: JSON.stringify({ text: 'ünï\u2028 "quoted" \\ {}', list: [1, null, true] }), ...overrides,
});

export const keyOf = (r: EventKey): EventKey => ({ provider: r.provider, id: r.id });

/** Admit to run now, for `owner`. */
export const run = (owner: string, leaseMs = LONG) => ({ as: 'running' as const, owner, leaseMs });

/** The entry of an admission that was admitted, or a failed assertion. */
export const taken = (admission: Admission): Entry => {
  assert.equal(admission.admitted, true, `expected the entry to be taken, found ${admission.entry.status}`);
  return admission.entry;
};

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Repeat `attempt` until it answers true, for at most `boundMs`: a short lease expires by the store's own clock. */
export async function until(attempt: () => Promise<boolean>, boundMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!(await attempt())) {
    if (Date.now() - start > boundMs) assert.fail(`${what} did not happen within ${boundMs} ms`);
    await pause(10);
  }
}

/** Ids that break naive key building, escaping or comparison; 512 characters is the longest the pipeline lets through. */
export const TRICKY_IDS = ['a"b', "a'b", 'a%b', 'a%25b', 'a*b', 'a?b', 'a[b]', '{a}', 'a:b', 'a\\b', 'a/b', 'a b', 'a\r\nb', 'a\tb',
  'emoji 💳', 'ünï', 'A', 'a', 'x'.repeat(512), 'ß', 'ss', ':', '%3A', '|', '0|x', 'e\u0301', '\u00e9', '{s0}', '*', '\\'];

/** `count` pseudo-random ids (fixed seed: the same every run) from characters that need care, of 1 to 40 characters. */
export function fuzzedIds(count: number): string[] {
  const alphabet = ['a', 'Z', '0', '9', ' ', '"', "'", '%', '*', '?', '{', '}', '[', ']', ':', '|', '\\', '/', '\r', '\n', '\t', '.', '-', '_', '💳', 'é', 'ß', '中', '\u200b'];
  let seed = 0x2f6b1d;
  const next = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
  return Array.from({ length: count }, () => Array.from({ length: 1 + (next() % 40) }, () => alphabet[next() % alphabet.length]).join(''));
}
