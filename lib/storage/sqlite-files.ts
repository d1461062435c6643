import { statSync } from 'node:fs';
import { resolve } from 'node:path';

interface Identity {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
}

function identity(path: string): Identity | undefined {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat && { path, dev: stat.dev, ino: stat.ino };
}

/**
 * The database file and its WAL as the connection opened them. Deleted or replaced under an open connection, a
 * file stays writable through it, and in WAL mode SQLite goes on committing to it: every write is then lost at
 * the next open. SQLite refuses that only in rollback-journal mode (`SQLITE_READONLY_DBMOVED`); this refuses it in
 * WAL mode too, at the cost of one `stat` per file before each write transaction.
 */
export class OpenedFiles {
  private readonly files: readonly Identity[];

  /** `undefined` for an in-memory or temporary database (`:memory:`, `''`), which has no file. */
  static of(path: string): OpenedFiles | undefined {
    if (path === '' || path === ':memory:' || path.startsWith('file::memory:')) return undefined;
    const absolute = resolve(path); // as SQLite keeps it: a later chdir() must not look like a deletion
    return new OpenedFiles([identity(absolute), identity(`${absolute}-wal`)].filter((file): file is Identity => file !== undefined));
  }

  private constructor(files: readonly Identity[]) {
    this.files = files;
  }

  /** Throws `SQLITE_READONLY_DBMOVED` when a file is no longer the one opened (deleted, renamed or replaced). */
  check(): void {
    for (const file of this.files) {
      const now = statSync(file.path, { throwIfNoEntry: false });
      if (now && now.ino === file.ino && now.dev === file.dev) continue;
      throw Object.assign(new Error(`the database file ${file.path} was deleted or replaced while open: a write now would be lost`), {
        code: 'SQLITE_READONLY_DBMOVED',
      });
    }
  }
}
