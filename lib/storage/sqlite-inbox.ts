import type BetterSqlite3 from 'better-sqlite3';
import type { EventKey } from './storage';
import type { InboxEntry, InboxItem, InboxListQuery, InboxStorage } from './inbox';
import { entryFromRow } from './row';
import type { InboxRow } from './row';

export const SQLITE_INBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS ntw_inbox (
  provider TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, enqueued_at INTEGER NOT NULL,
  owner TEXT, last_error TEXT,
  PRIMARY KEY (provider, id)
);
CREATE INDEX IF NOT EXISTS ntw_inbox_due ON ntw_inbox (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS ntw_inbox_status ON ntw_inbox (status, enqueued_at);
`;

const COLUMNS = 'provider, id, body, status, attempts, next_attempt_at, enqueued_at, last_error';

/** The inbox queue in SQLite: `leaseNext` selects and updates in one IMMEDIATE transaction (one writer at a time, across processes). */
export class SqliteInbox implements InboxStorage {
  constructor(private readonly database: () => BetterSqlite3.Database) {}

  enqueue(item: InboxItem): boolean {
    const t = item.enqueuedAt.getTime();
    return this.database().prepare(`INSERT INTO ntw_inbox (provider, id, body, status, attempts, next_attempt_at, enqueued_at)
      VALUES (?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (provider, id) DO NOTHING`).run(item.provider, item.id, item.body, t, t).changes === 1;
  }

  leaseNext(owner: string, leaseMs: number, now: Date): InboxEntry | undefined {
    const db = this.database();
    return db.transaction((): InboxEntry | undefined => {
      const due = db.prepare(`SELECT provider, id FROM ntw_inbox WHERE status = 'pending' AND next_attempt_at <= ?
        ORDER BY next_attempt_at, enqueued_at LIMIT 1`).get(now.getTime()) as EventKey | undefined;
      if (!due) return undefined;
      const row = db.prepare(`UPDATE ntw_inbox SET owner = ?, attempts = attempts + 1, next_attempt_at = ?
        WHERE provider = ? AND id = ? RETURNING ${COLUMNS}`).get(owner, now.getTime() + leaseMs, due.provider, due.id) as InboxRow;
      return entryFromRow(row);
    }).immediate();
  }

  markDone(key: EventKey, _owner: string, now: Date): void {
    this.database().prepare(`UPDATE ntw_inbox SET status = 'done', owner = NULL, next_attempt_at = ?
      WHERE provider = ? AND id = ? AND status = 'pending'`).run(now.getTime(), key.provider, key.id);
  }

  markFailed(key: EventKey, owner: string, nextAttemptAt: Date, error: string): void {
    this.database().prepare(`UPDATE ntw_inbox SET owner = NULL, next_attempt_at = ?, last_error = ?
      WHERE provider = ? AND id = ? AND owner = ? AND status = 'pending'`).run(nextAttemptAt.getTime(), error, key.provider, key.id, owner);
  }

  markDead(key: EventKey, owner: string, error: string, now: Date): void {
    this.database().prepare(`UPDATE ntw_inbox SET status = 'dead', owner = NULL, next_attempt_at = ?, last_error = ?
      WHERE provider = ? AND id = ? AND owner = ? AND status = 'pending'`).run(now.getTime(), error, key.provider, key.id, owner);
  }

  extendLease(key: EventKey, owner: string, leaseMs: number, now: Date): boolean {
    return this.database().prepare(`UPDATE ntw_inbox SET next_attempt_at = ?
      WHERE provider = ? AND id = ? AND owner = ? AND status = 'pending'`).run(now.getTime() + leaseMs, key.provider, key.id, owner).changes === 1;
  }

  getInboxEntry(key: EventKey): InboxEntry | undefined {
    const row = this.database().prepare(`SELECT ${COLUMNS} FROM ntw_inbox WHERE provider = ? AND id = ?`).get(key.provider, key.id) as InboxRow | undefined;
    return row && entryFromRow(row);
  }

  listDeadLetters(query: InboxListQuery = {}): InboxEntry[] {
    return (this.database().prepare(`SELECT ${COLUMNS} FROM ntw_inbox WHERE status = 'dead' ORDER BY enqueued_at, provider, id LIMIT ?`)
      .all(query.limit ?? 100) as InboxRow[]).map(entryFromRow);
  }

  requeue(id: string, provider: string | undefined, now: Date): number {
    return this.database().prepare(`UPDATE ntw_inbox SET status = 'pending', attempts = 0, owner = NULL, next_attempt_at = ?
      WHERE id = ? AND (? IS NULL OR provider = ?) AND status <> 'pending'`).run(now.getTime(), id, provider ?? null, provider ?? null).changes;
  }

  pruneInbox(olderThan: Date): number {
    return this.database().prepare(`DELETE FROM ntw_inbox WHERE status = 'done' AND enqueued_at < ?`).run(olderThan.getTime()).changes;
  }
}
