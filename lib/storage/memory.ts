import type { Admission, Admit, Entry, EntryQuery, EntryRecord, EventKey, LedgerStats, PruneResult, Settlement, StatsQuery, Storage, TokenStateRecord } from './storage';
import type { Held } from './ledger-rules';
import { admissionOf, isDue, maySettle, project, settledEntry, takenEntry } from './ledger-rules';
import { matchesQuery, orderedPage, statsOf } from './memory-stats';

const keyOf = (provider: string, id: string) => `${provider}\u0000${id}`;

function publicEntry({ owner: _owner, ...entry }: Held): Entry {
  return entry;
}

/** The default storage: one process, nothing survives a restart. For tests and single-instance demos. */
export class MemoryStorage implements Storage {
  private readonly entries = new Map<string, Held>();
  private readonly states = new Map<string, TokenStateRecord>();
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  admit(record: EntryRecord, admit: Admit): Admission {
    const k = keyOf(record.provider, record.id);
    const now = this.now();
    const decision = admissionOf(this.entries.get(k), record, admit, now);
    if (!decision.admitted) {
      if (decision.write) this.entries.set(k, decision.write);
      return { admitted: false, entry: publicEntry(decision.entry), conflict: decision.conflict };
    }
    const entry = decision.taken ? this.project(decision.write, now) : decision.write;
    this.entries.set(k, entry);
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
    this.entries.set(keyOf(due.provider, due.id), leased);
    return publicEntry(leased);
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
    this.entries.set(k, settledEntry(entry, settlement, this.now()));
    return true;
  }

  requeue(id: string, provider?: string): EventKey[] {
    const keys: EventKey[] = [];
    const now = this.now();
    for (const [k, entry] of this.entries) {
      if (entry.id !== id || (provider !== undefined && entry.provider !== provider)) continue;
      if (entry.status !== 'failed' && entry.status !== 'dead' && entry.status !== 'done') continue;
      const { owner: _owner, lastError: _error, ...rest } = entry;
      this.entries.set(k, { ...rest, status: 'pending', attempts: 0, dueAt: new Date(now) });
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

  stats(query: StatsQuery): LedgerStats {
    return statsOf(this.entries.values(), this.states.values(), query);
  }

  getTokenState(provider: string, tokenRef: string): TokenStateRecord | undefined {
    return this.states.get(keyOf(provider, tokenRef));
  }

  prune(olderThan: Date): PruneResult {
    let entries = 0;
    for (const [k, e] of this.entries) {
      if (e.status === 'done' && e.receivedAt < olderThan) { this.entries.delete(k); entries++; }
    }
    return { entries };
  }

  private project(entry: Held, now: number): Held {
    const sk = keyOf(entry.provider, entry.tokenRef);
    const projected = project(entry, this.states.get(sk), now);
    if (projected.state) this.states.set(sk, projected.state);
    return projected.entry;
  }
}
