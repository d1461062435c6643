import { ReportedError } from '../errors';
import type { Entry, EventKey } from '../storage/storage';
import { describeError } from '../shared/describe-error';
import { logger } from '../log';
import type { Ledger } from './ledger';
import type { FailurePolicy, TakenEntry } from './run-entry';
import { runEntry } from './run-entry';
import { settle } from './settle';

const log = logger('worker');

/** An entry this process leased to run. */
export interface Leased {
  readonly entry: Entry;
  readonly owner: string;
  /** When the lease call was sent, by `performance.now()`. */
  readonly takenAt: number;
}

/** A lease answered an entry this process runs already: the running run kept it, nothing more to run. */
export const KEPT = 'kept';

/** How a stored entry's run ends when it fails, and after how many leases it is a dead letter without running. */
export interface RunPolicy {
  readonly onFailure: FailurePolicy;
  readonly maxAttempts: number;
}

/**
 * Lease the entry `key` if it is due, or any due entry; `undefined` when none is (or the storage failed: the
 * client reported it). One this process runs already is `KEPT` by its run, never run twice at once.
 */
export async function lease(ledger: Ledger, key?: EventKey): Promise<Leased | typeof KEPT | undefined> {
  if (ledger.handlers.size === 0) return undefined; // mounted before its handlers: nothing to run them yet
  const owner = ledger.owner();
  const { client } = ledger;
  let takenAt = 0;
  let entry: Entry | undefined;
  try {
    entry = await client.call('lease', () => {
      takenAt = performance.now();
      return client.storage.lease(owner, ledger.leaseMs, key);
    }, { provider: key?.provider ?? '*', ...(key ? { eventId: key.id } : {}) });
  } catch {
    return undefined; // reported by the client; the next poll tries again
  }
  if (!entry) return undefined;
  if (ledger.runs.retake(entry, owner, entry.attempts, takenAt)) {
    log.warn({ provider: entry.provider, eventId: entry.id },
      'leased again while this process runs it (its lease looked expired to the storage: a stepped clock?); the running run keeps it', ledger.logger);
    return KEPT;
  }
  return { entry, owner, takenAt };
}

/**
 * Lease up to `limit` due entries in one call of the storage's `leaseMany`, for one owner (each entry's lease is still
 * its own: renewed and settled by its key and that owner). Entries this process runs already are kept by their runs,
 * not answered; `found` counts them too, so that the caller knows whether the storage had fewer than `limit` due.
 * A storage failure answers none (the client reported it). Only for a storage that has `leaseMany`.
 */
export async function leaseMany(ledger: Ledger, limit: number): Promise<{ readonly leased: Leased[]; readonly found: number }> {
  const { client } = ledger;
  if (ledger.handlers.size === 0 || !client.storage.leaseMany) return { leased: [], found: 0 };
  const owner = ledger.owner();
  let takenAt = 0;
  let entries: Entry[];
  try {
    // A span of its own: the call takes entries for several runs, whichever delivery or run woke the worker.
    entries = await ledger.telemetry.detached(() => client.call('leaseMany', () => {
      takenAt = performance.now();
      return client.storage.leaseMany!(owner, ledger.leaseMs, limit);
    }, { provider: '*' }));
  } catch {
    return { leased: [], found: 0 };
  }
  const leased: Leased[] = [];
  for (const entry of entries) {
    if (ledger.runs.retake(entry, owner, entry.attempts, takenAt)) {
      log.warn({ provider: entry.provider, eventId: entry.id },
        'leased again while this process runs it (its lease looked expired to the storage: a stepped clock?); the running run keeps it', ledger.logger);
    } else {
      leased.push({ entry, owner, takenAt });
    }
  }
  return { leased, found: entries.length };
}

/**
 * Run an entry leased from storage, in its span, through the same `runEntry` as a delivery's: decoded (one that
 * cannot be is a dead letter), its failure settled by `policy`. Never rejects: a failure is recorded, or left to the lease.
 */
export function runLeased(ledger: Ledger, leased: Leased, policy: RunPolicy, hooks: RunHooks = {}): Promise<void> {
  const { entry } = leased;
  return ledger.telemetry.span('ntw.inbox.run', {
    'ntw.provider': entry.provider, 'ntw.event.id': entry.id, 'ntw.event.type': entry.type, 'ntw.attempt': entry.attempts,
  }, () => run(ledger, leased, policy, hooks));
}

/** The worker's part in a run: told when the handlers are through (`handled`, once), storing the completion its way (`complete`). */
export type RunHooks = Pick<TakenEntry, 'handled' | 'complete'>;

/** Lease the entry `key` now if it is due, and run it (counted in `background` until it settles); answers whether it ran. */
export function runStored(ledger: Ledger, key: EventKey, policy: RunPolicy): Promise<boolean> {
  const job = (async () => {
    const leased = await lease(ledger, key);
    if (!leased || leased === KEPT) return false;
    await runLeased(ledger, leased, policy);
    return true;
  })();
  ledger.background.track(job);
  return job;
}

/** `hooks.handled` is called when the handlers are through, or when none will run (a crash loop, an undecodable entry). */
async function run(ledger: Ledger, { entry, owner, takenAt }: Leased, policy: RunPolicy, hooks: RunHooks): Promise<void> {
  const { handled } = hooks;
  const key: EventKey = { provider: entry.provider, id: entry.id };
  if (entry.attempts > policy.maxAttempts) {
    handled?.();
    return crashLoop(ledger, entry, owner, policy.maxAttempts);
  }
  let event;
  try {
    event = ledger.codec.decode(entry.body);
  } catch (error) {
    handled?.();
    await settleDead(ledger, key, owner, `undecodable entry: ${describeError(error)}`);
    return;
  }
  try {
    await runEntry(ledger, { event, entry, owner, takenAt, ...hooks }, policy.onFailure);
    log.info({ provider: key.provider, eventId: key.id, attempt: entry.attempts, durationMs: Math.round((performance.now() - takenAt) * 10) / 10 }, 'run done', ledger.logger);
  } catch {
    // recorded by runEntry: a handler failure as failed or dead, a storage failure left to the lease
  }
}

function settleDead(ledger: Ledger, key: EventKey, owner: string, error: string): Promise<boolean> {
  return settle(ledger.client, key, owner, { status: 'dead', error }, { provider: key.provider, eventId: key.id })
    .catch(() => false);
}

/** Each lease counts an attempt and a run that failed settles one: attempts past `maxAttempts` were runs the process died in. */
async function crashLoop(ledger: Ledger, entry: Entry, owner: string, maxAttempts: number): Promise<void> {
  const key: EventKey = { provider: entry.provider, id: entry.id };
  const message = `${entry.provider} ${entry.id} was leased ${entry.attempts} times, more than inbox.maxAttempts (${maxAttempts}), `
    + 'without finishing: its runs ended with no outcome stored, as when the process dies in them (a crash loop?). It is a dead letter, not run again';
  log.warn({ provider: key.provider, eventId: key.id, code: 'ERR_NTW_CRASH_LOOP' }, message, ledger.logger);
  if (await settleDead(ledger, key, owner, message)) {
    ledger.reportError(new ReportedError('ERR_NTW_CRASH_LOOP', message), { provider: key.provider, eventId: key.id });
  }
}
