import type {
  Admission, Admit, Entry, EntryHistory, EntryQuery, EntryRecord, EventKey, LedgerStats, OwnedSettlement, PruneResult, RefusalMinute, Settlement,
  StatsQuery, Storage, TokenStateRecord,
} from './storage';
import { REFUSALS_KEPT_MS, REQUEUEABLE_STATUSES } from './storage';
import type { RequeueableStatus } from './storage';
import type { Held } from './kit/ledger-rules';
import { admissionOf, isDue, publicEntry, maySettle, project, settledEntry, takenEntry } from './kit/ledger-rules';
import { ConfigurationError } from '../errors';
import { checkOptionNames } from '../option-names';
import type { NamesOf } from '../option-names';
import { statsOf } from './memory-stats';
import { LruMap } from '../shared/lru-map';
import { matchesQuery, orderedPage } from './entry-query';
import { NO_HISTORY, appendBounded, mergeRefusals, requeuedAttempt, settledAttempt } from './kit/history';

const keyOf = (provider: string, id: string) => `${provider}\u0000${id}`;

export interface MemoryStorageOptions {
  /** Clock for leases and due times, in ms (tests). Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Most finished (`done`) entries kept; past it the least recently finished or seen are forgotten first.
   * Unfinished entries (`pending`, `running`, `failed`, `dead`) and quarantined ones are never forgotten,
   * and do not count. Default 10,000; `Infinity` keeps every one until `prune`.
   */
  readonly maxEntries?: number;
  /** Most token states kept; past it the least recently updated are forgotten first. Default 10,000; `Infinity` for all. */
  readonly maxTokenStates?: number;
}

/** The defaults of `maxEntries` and `maxTokenStates`. */
export const MEMORY_STORAGE_BOUNDS = { maxEntries: 10_000, maxTokenStates: 10_000 } as const;

function bound(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value === Infinity || (Number.isInteger(value) && value >= 1))) {
    throw new ConfigurationError('ERR_NTW_OPTION', `MemoryStorage ${name} must be a whole number, 1 or more (or Infinity)`);
  }
  return value;
}

/**
 * The default storage: one process, nothing survives a restart. For tests and single-instance demos.
 * Bounded: it keeps at most `maxEntries` finished entries and `maxTokenStates` token states, so a long-running
 * process does not grow without end; a copy of an event it forgot runs again, as after a restart.
 */
export class MemoryStorage implements Storage {
  private readonly entries = new Map<string, Held>();
  private readonly states: Map<string, TokenStateRecord> | LruMap<string, TokenStateRecord>;
  /** Keys of the `done` entries, by how recently they finished or were seen again: the least recent is forgotten first. */
  private readonly finished: LruMap<string, true> | undefined;
  private readonly now: () => number;
  /** Attempt logs and copies, by entry: forgotten with their entry. */
  private readonly histories = new Map<string, { -readonly [K in keyof EntryHistory]: EntryHistory[K] }>();
  /** Refusal counts by minute, provider, status and code: the last `REFUSALS_KEPT_MS`. */
  private refusals: RefusalMinute[] = [];

  constructor(options: MemoryStorageOptions = {}) {
    checkOptionNames('MemoryStorage', options, { now: true, maxEntries: true, maxTokenStates: true } satisfies NamesOf<MemoryStorageOptions>);
    this.now = options.now ?? Date.now;
    const maxEntries = bound('maxEntries', options.maxEntries, MEMORY_STORAGE_BOUNDS.maxEntries);
    const maxTokenStates = bound('maxTokenStates', options.maxTokenStates, MEMORY_STORAGE_BOUNDS.maxTokenStates);
    this.finished = maxEntries === Infinity ? undefined : new LruMap<string, true>(maxEntries, (k) => {
      this.entries.delete(k);
      this.histories.delete(k);
    });
    this.states = maxTokenStates === Infinity ? new Map() : new LruMap<string, TokenStateRecord>(maxTokenStates);
  }

  admit(record: EntryRecord, admit: Admit): Admission {
    const k = keyOf(record.provider, record.id);
    const now = this.now();
    const existing = this.entries.get(k);
    const decision = admissionOf(existing, record, admit, now);
    if (existing) this.recordCopy(k, now, record.fingerprint);
    if (!decision.admitted) {
      if (decision.write) this.write(k, decision.write);
      else if (existing?.status === 'done') this.touchFinished(k);
      return { admitted: false, entry: publicEntry(decision.entry), conflict: decision.conflict };
    }
    const entry = decision.taken ? this.project(decision.write, now) : decision.write;
    this.write(k, entry);
    return { admitted: true, entry: publicEntry(entry) };
  }

  lease(owner: string, leaseMs: number, key?: EventKey): Entry | undefined {
    const now = this.now();
    let due: Held | undefined;
    const candidates = key ? [this.entries.get(keyOf(key.provider, key.id))] : this.entries.values();
    for (const entry of candidates) {
      if (entry && isDue(entry, now) && (!due || entry.dueAt < due.dueAt)) due = entry;
    }
    if (!due) return undefined;
    const leased = this.project(takenEntry(due, owner, leaseMs, now), now);
    this.write(keyOf(due.provider, due.id), leased);
    return publicEntry(leased);
  }

  leaseMany(owner: string, leaseMs: number, limit: number): Entry[] {
    const now = this.now();
    const due: Held[] = [];
    for (const entry of this.entries.values()) if (isDue(entry, now)) due.push(entry);
    due.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
    return due.slice(0, Math.max(0, limit)).map((entry) => {
      const leased = this.project(takenEntry(entry, owner, leaseMs, now), now);
      this.write(keyOf(entry.provider, entry.id), leased);
      return publicEntry(leased);
    });
  }

  extend(key: EventKey, owner: string, leaseMs: number): boolean {
    const k = keyOf(key.provider, key.id);
    const entry = this.entries.get(k);
    const now = this.now();
    if (!entry || entry.status !== 'running' || entry.owner !== owner || entry.dueAt.getTime() <= now) return false;
    this.entries.set(k, { ...entry, dueAt: new Date(now + leaseMs) });
    return true;
  }

  settle(key: EventKey, owner: string, settlement: Settlement): boolean {
    const k = keyOf(key.provider, key.id);
    const entry = this.entries.get(k);
    if (!entry || !maySettle(entry, owner, settlement)) return false;
    const now = this.now();
    this.write(k, settledEntry(entry, settlement, now));
    this.recordAttempt(k, settledAttempt(entry, settlement, now));
    return true;
  }

  settleMany(settlements: readonly OwnedSettlement[]): boolean[] {
    return settlements.map(({ key, owner, settlement }) => this.settle(key, owner, settlement));
  }

  requeue(id: string, provider?: string, from: readonly RequeueableStatus[] = REQUEUEABLE_STATUSES): EventKey[] {
    const keys: EventKey[] = [];
    const now = this.now();
    for (const [k, entry] of this.entries) {
      if (entry.id !== id || (provider !== undefined && entry.provider !== provider)) continue;
      if (!(from as readonly string[]).includes(entry.status)) continue;
      const { owner: _owner, lastError: _error, ...rest } = entry;
      this.write(k, { ...rest, status: 'pending', attempts: 0, dueAt: new Date(now) });
      this.recordAttempt(k, requeuedAttempt(entry, now));
      keys.push({ provider: entry.provider, id: entry.id });
    }
    return keys;
  }

  getEntry(key: EventKey): Entry | undefined {
    const entry = this.entries.get(keyOf(key.provider, key.id));
    return entry && publicEntry(entry);
  }

  listEntries(query: EntryQuery = {}): Entry[] {
    const found: Held[] = [];
    for (const e of this.entries.values()) if (matchesQuery(e, query)) found.push(e);
    return orderedPage(found, query).map(publicEntry);
  }

  getHistory(key: EventKey): EntryHistory {
    const history = this.histories.get(keyOf(key.provider, key.id));
    return history ? { attempts: [...history.attempts], copies: [...history.copies] } : NO_HISTORY;
  }

  addRefusals(counts: readonly RefusalMinute[]): void {
    const oldest = this.now() - REFUSALS_KEPT_MS;
    this.refusals = mergeRefusals([...this.refusals, ...counts]).filter((c) => c.minute.getTime() >= oldest - (oldest % 60_000));
  }

  listRefusals(since: Date): RefusalMinute[] {
    const from = since.getTime() - (since.getTime() % 60_000);
    return this.refusals.filter((c) => c.minute.getTime() >= from);
  }

  stats(query: StatsQuery): LedgerStats {
    return statsOf(this.entries.values(), this.states.values(), query);
  }

  getTokenState(provider: string, tokenRef: string): TokenStateRecord | undefined {
    return this.stateOf(keyOf(provider, tokenRef));
  }

  prune(olderThan: Date): PruneResult {
    let entries = 0;
    for (const [k, e] of this.entries) {
      if (e.status === 'done' && e.receivedAt < olderThan) {
        this.entries.delete(k);
        this.histories.delete(k);
        this.finished?.delete(k);
        entries++;
      }
    }
    return { entries };
  }

  /**
   * Store `entry` under `k`, keep the order finished entries are forgotten in, and forget the oldest past the bound.
   * Frozen: callers are handed the stored object itself (no copy per read), so a caller's write cannot reach the store.
   */
  private write(k: string, entry: Held): void {
    this.entries.set(k, Object.freeze(entry));
    if (entry.status === 'done') this.finished?.set(k, true);
    else this.finished?.delete(k);
  }

  private recordCopy(k: string, now: number, fingerprint: string): void {
    const history = this.historyOf(k);
    history.copies = appendBounded(history.copies, { at: new Date(now), fingerprint });
  }

  private recordAttempt(k: string, attempt: EntryHistory['attempts'][number]): void {
    const history = this.historyOf(k);
    history.attempts = appendBounded(history.attempts, attempt);
  }

  /** The history kept for `k`, begun (on the shared empty lists) when it has none. */
  private historyOf(k: string): { -readonly [K in keyof EntryHistory]: EntryHistory[K] } {
    let history = this.histories.get(k);
    if (!history) this.histories.set(k, history = { attempts: NO_HISTORY.attempts, copies: NO_HISTORY.copies });
    return history;
  }

  /** A finished entry seen again (a duplicate) is forgotten last. */
  private touchFinished(k: string): void {
    this.finished?.get(k);
  }

  /** A token's state, without counting the read as an update. */
  private stateOf(sk: string): TokenStateRecord | undefined {
    return this.states instanceof LruMap ? this.states.peek(sk) : this.states.get(sk);
  }

  private project(entry: Held, now: number): Held {
    const sk = keyOf(entry.provider, entry.tokenRef);
    const projected = project(entry, this.stateOf(sk), now);
    if (projected.state) this.states.set(sk, Object.freeze(projected.state));
    return projected.entry;
  }
}
