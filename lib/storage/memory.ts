import type {
  ClaimResult, EventKey, EventQuery, ProjectionResult, PruneResult, StateChange, Storage, StoredEvent, TokenStateRecord,
} from './storage';
import { decideProjection } from './projection';
import type { InboxEntry, InboxItem, InboxListQuery, InboxStorage } from './inbox';

interface Claim {
  owner: string;
  expiresAt: number;
  completedAt?: number;
}

const keyOf = (provider: string, id: string) => `${provider}\u0000${id}`;

/** The default storage: one process, nothing survives a restart. For tests and single-instance demos. */
export class MemoryStorage implements Storage, InboxStorage {
  private readonly claims = new Map<string, Claim>();
  private readonly inbox = new Map<string, InboxEntry & { owner?: string }>();
  private readonly events = new Map<string, StoredEvent>();
  private readonly states = new Map<string, TokenStateRecord>();
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  claim(key: EventKey, owner: string, leaseMs: number): ClaimResult {
    const k = keyOf(key.provider, key.id);
    const existing = this.claims.get(k);
    const now = this.now();
    if (existing?.completedAt !== undefined) return 'processed';
    if (existing && existing.expiresAt > now) return 'in_progress';
    this.claims.set(k, { owner, expiresAt: now + leaseMs });
    return 'claimed';
  }

  complete(key: EventKey, owner: string): void {
    const now = this.now();
    this.claims.set(keyOf(key.provider, key.id), { owner, expiresAt: now, completedAt: now });
  }

  release(key: EventKey, owner: string): void {
    const k = keyOf(key.provider, key.id);
    const existing = this.claims.get(k);
    if (existing && existing.owner === owner && existing.completedAt === undefined) this.claims.delete(k);
  }

  extend(key: EventKey, owner: string, leaseMs: number): boolean {
    const existing = this.claims.get(keyOf(key.provider, key.id));
    const now = this.now();
    if (!existing || existing.owner !== owner || existing.completedAt !== undefined || existing.expiresAt <= now) return false;
    existing.expiresAt = now + leaseMs;
    return true;
  }

  saveEvent(event: StoredEvent): void {
    this.events.set(keyOf(event.provider, event.id), event);
  }

  listEvents(query: EventQuery = {}): StoredEvent[] {
    const since = query.since?.getTime() ?? -Infinity;
    const until = query.until?.getTime() ?? Infinity;
    return [...this.events.values()]
      .filter((e) => (query.provider === undefined || e.provider === query.provider)
        && (query.tokenRef === undefined || e.tokenRef === query.tokenRef)
        && e.receivedAt.getTime() >= since && e.receivedAt.getTime() < until)
      .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime())
      .slice(0, query.limit ?? 100);
  }

  applyTokenState(change: StateChange): ProjectionResult {
    const k = keyOf(change.provider, change.tokenRef);
    const current = this.states.get(k);
    const decision = decideProjection(current, change);
    if (!decision.apply) return { applied: false, staleReason: decision.staleReason, current: current! };
    const next: TokenStateRecord = { ...change, updatedAt: new Date(this.now()) };
    this.states.set(k, next);
    return { applied: true, current: next };
  }

  getTokenState(provider: string, tokenRef: string): TokenStateRecord | undefined {
    return this.states.get(keyOf(provider, tokenRef));
  }

  prune(olderThan: Date): PruneResult {
    const cutoff = olderThan.getTime();
    let claims = 0;
    let events = 0;
    for (const [k, c] of this.claims) {
      if (c.completedAt !== undefined && c.completedAt < cutoff) { this.claims.delete(k); claims++; }
    }
    for (const [k, e] of this.events) {
      if (e.receivedAt.getTime() < cutoff) { this.events.delete(k); events++; }
    }
    return { claims, events };
  }

  enqueue(item: InboxItem): boolean {
    const k = keyOf(item.provider, item.id);
    if (this.inbox.has(k)) return false;
    this.inbox.set(k, { ...item, status: 'pending', attempts: 0, nextAttemptAt: item.enqueuedAt });
    return true;
  }

  leaseNext(owner: string, leaseMs: number, now: Date): InboxEntry | undefined {
    let due: (InboxEntry & { owner?: string }) | undefined;
    for (const entry of this.inbox.values()) {
      if (entry.status === 'pending' && entry.nextAttemptAt <= now && (!due || entry.nextAttemptAt < due.nextAttemptAt)) due = entry;
    }
    if (!due) return undefined;
    const leased = { ...due, owner, attempts: due.attempts + 1, nextAttemptAt: new Date(now.getTime() + leaseMs) };
    this.inbox.set(keyOf(due.provider, due.id), leased);
    return publicEntry(leased);
  }

  markDone(key: EventKey, _owner: string, now: Date): void {
    this.updateInbox(key, undefined, { status: 'done', nextAttemptAt: now });
  }

  markFailed(key: EventKey, owner: string, nextAttemptAt: Date, error: string): void {
    this.updateInbox(key, owner, { nextAttemptAt, lastError: error });
  }

  markDead(key: EventKey, owner: string, error: string, now: Date): void {
    this.updateInbox(key, owner, { status: 'dead', nextAttemptAt: now, lastError: error });
  }

  extendLease(key: EventKey, owner: string, leaseMs: number, now: Date): boolean {
    const k = keyOf(key.provider, key.id);
    const entry = this.inbox.get(k);
    if (!entry || entry.status !== 'pending' || entry.owner !== owner) return false;
    this.inbox.set(k, { ...entry, nextAttemptAt: new Date(now.getTime() + leaseMs) });
    return true;
  }

  getInboxEntry(key: EventKey): InboxEntry | undefined {
    const entry = this.inbox.get(keyOf(key.provider, key.id));
    return entry && publicEntry(entry);
  }

  listDeadLetters(query: InboxListQuery = {}): InboxEntry[] {
    return [...this.inbox.values()].filter((e) => e.status === 'dead')
      .sort((a, b) => a.enqueuedAt.getTime() - b.enqueuedAt.getTime())
      .slice(0, query.limit ?? 100).map(publicEntry);
  }

  requeue(id: string, provider: string | undefined, now: Date): number {
    let count = 0;
    for (const [k, e] of this.inbox) {
      if (e.id !== id || (provider !== undefined && e.provider !== provider) || e.status === 'pending') continue;
      this.inbox.set(k, { ...e, status: 'pending', attempts: 0, nextAttemptAt: now, owner: undefined });
      count++;
    }
    return count;
  }

  pruneInbox(olderThan: Date): number {
    let count = 0;
    for (const [k, e] of this.inbox) {
      if (e.status === 'done' && e.enqueuedAt < olderThan) { this.inbox.delete(k); count++; }
    }
    return count;
  }

  private updateInbox(key: EventKey, owner: string | undefined, change: Partial<InboxEntry>): void {
    const k = keyOf(key.provider, key.id);
    const entry = this.inbox.get(k);
    if (!entry || entry.status !== 'pending' || (owner !== undefined && entry.owner !== owner)) return;
    this.inbox.set(k, { ...entry, ...change, owner: undefined });
  }
}

function publicEntry(entry: InboxEntry & { owner?: string }): InboxEntry {
  const { owner: _owner, ...rest } = entry;
  return rest;
}
