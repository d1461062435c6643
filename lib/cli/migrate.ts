import type { Storage } from '../storage/storage';
import { postgresNames } from '../storage/postgres-schema';
import { postgresMigrationScript } from '../storage/kit/migrations/postgres';
import { PostgresStorage } from '../storage/postgres';
import { RedisStorage } from '../storage/redis';
import { SqliteStorage } from '../storage/sqlite';

export interface MigrateFlags {
  readonly print?: boolean;
  readonly schema: string;
  readonly url?: string;
  readonly path?: string;
  readonly keyPrefix: string;
}

/**
 * `migrate <store>`: the SQL of every PostgreSQL step (`--print`), or the steps applied now through the storage's own
 * `init()`, as an instance would at start-up (each adapter loads its driver only when made). Answers what to print.
 */
export async function migrate(store: 'postgres' | 'sqlite' | 'redis', flags: MigrateFlags): Promise<string> {
  if (flags.print) {
    if (store !== 'postgres') throw new Error('--print is for PostgreSQL: SQLite and Redis are migrated by the storage itself (omit --print)');
    return `BEGIN;\n${postgresMigrationScript(postgresNames(flags.schema))}COMMIT;\n`;
  }
  const storage = open(store, flags);
  try {
    await storage.init?.();
    return `${storage.describe?.() ?? store}: at this release's schema\n`;
  } finally {
    await storage.close?.();
  }
}

function open(store: 'postgres' | 'sqlite' | 'redis', flags: MigrateFlags): Storage {
  switch (store) {
    case 'postgres': {
      const url = flags.url ?? process.env.DATABASE_URL;
      if (!url) throw new Error('migrate postgres needs --url or DATABASE_URL (or --print, to run the SQL yourself)');
      return new PostgresStorage({ connectionString: url, schema: flags.schema });
    }
    case 'sqlite': {
      if (!flags.path) throw new Error('migrate sqlite needs --path, the database file');
      return new SqliteStorage({ path: flags.path });
    }
    case 'redis': {
      const url = flags.url ?? process.env.REDIS_URL;
      if (!url) throw new Error('migrate redis needs --url or REDIS_URL');
      return new RedisStorage({ url, keyPrefix: flags.keyPrefix });
    }
  }
}
