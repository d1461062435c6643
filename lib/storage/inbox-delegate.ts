import type { EventKey } from './storage';
import type { InboxEntry, InboxItem, InboxListQuery, InboxStorage } from './inbox';
import type { Awaitable } from './storage';

/** The inbox methods of an adapter whose queue lives in a helper object (`inbox`): one forwarding place for all adapters. */
export abstract class InboxDelegate implements InboxStorage {
  protected abstract readonly inbox: InboxStorage & Required<Pick<InboxStorage, 'extendLease'>>;

  enqueue(item: InboxItem): Awaitable<boolean> { return this.inbox.enqueue(item); }
  leaseNext(owner: string, leaseMs: number, now: Date): Awaitable<InboxEntry | undefined> { return this.inbox.leaseNext(owner, leaseMs, now); }
  markDone(key: EventKey, owner: string, now: Date): Awaitable<void> { return this.inbox.markDone(key, owner, now); }
  markFailed(key: EventKey, owner: string, nextAttemptAt: Date, error: string): Awaitable<void> { return this.inbox.markFailed(key, owner, nextAttemptAt, error); }
  markDead(key: EventKey, owner: string, error: string, now: Date): Awaitable<void> { return this.inbox.markDead(key, owner, error, now); }
  extendLease(key: EventKey, owner: string, leaseMs: number, now: Date): Awaitable<boolean> { return this.inbox.extendLease(key, owner, leaseMs, now); }
  getInboxEntry(key: EventKey): Awaitable<InboxEntry | undefined> { return this.inbox.getInboxEntry(key); }
  listDeadLetters(query?: InboxListQuery): Awaitable<InboxEntry[]> { return this.inbox.listDeadLetters(query); }
  requeue(id: string, provider: string | undefined, now: Date): Awaitable<number> { return this.inbox.requeue(id, provider, now); }
  pruneInbox(olderThan: Date): Awaitable<number> { return this.inbox.pruneInbox(olderThan); }
}
