import type { PostgresNames } from '../../../postgres-schema';
import { latestVersion } from '../steps';
import type { PostgresMigration } from './step';
import { SCHEMA_NEWER } from './codes';
import { ledger } from './001-ledger';
import { carryForward01 } from './002-carry-forward';
import { historySearchRefusals } from './003-history-search-refusals';
import { leaseMany } from './004-lease-many';

export { OLDER_VERSION_ACTIVE, SCHEMA_NEWER } from './codes';
export type { PostgresMigration } from './step';

/** PostgreSQL's steps, in order: each applied once and recorded in `ntw_migrations`. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [ledger, carryForward01, historySearchRefusals, leaseMany];

/** The schema version this release writes and reads. */
export const POSTGRES_SCHEMA_VERSION = latestVersion(POSTGRES_MIGRATIONS);

/**
 * Every step as one script, safe to run again and from several instances at once: under an advisory lock, it
 * records each step it applies in `ntw_migrations` and skips those recorded, and refuses (`NTW03`) a schema that a
 * newer version wrote. What `PostgresStorage` runs at `init()`, and what `network-token-webhooks migrate --print
 * postgres` prints for a role that may change the schema (run it with `psql -v ON_ERROR_STOP=1 --single-transaction`).
 */
export function postgresMigrationScript(n: PostgresNames): string {
  const steps = POSTGRES_MIGRATIONS.map((m) => `
-- ${m.version}: ${m.name}
DO $migration$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM ${n.migrations} WHERE version = ${m.version}) THEN
    EXECUTE $ntw_step_${m.version}$${m.apply(n)}
$ntw_step_${m.version}$;
    INSERT INTO ${n.migrations} (version, name) VALUES (${m.version}, '${m.name}');
  END IF;
END $migration$;`).join('\n');
  return `-- network-token-webhooks: the schema "${n.schema}", version ${POSTGRES_SCHEMA_VERSION}
SELECT pg_advisory_xact_lock(hashtext('network-token-webhooks:${n.schema}'));
${n.schema === 'public' ? '' : `CREATE SCHEMA IF NOT EXISTS "${n.schema}";`}
CREATE TABLE IF NOT EXISTS ${n.migrations} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
DO $migration$ BEGIN
  IF (SELECT max(version) FROM ${n.migrations}) > ${POSTGRES_SCHEMA_VERSION} THEN
    RAISE EXCEPTION USING ERRCODE = '${SCHEMA_NEWER}',
      MESSAGE = format('the schema "${n.schema}" is at version %s, written by a newer network-token-webhooks than this one (${POSTGRES_SCHEMA_VERSION})',
        (SELECT max(version) FROM ${n.migrations}));
  END IF;
END $migration$;
${steps}
`;
}

/** The version `ntw_migrations` records: 0 when it does not exist. */
export async function postgresSchemaVersion(query: (sql: string) => Promise<{ rows: { version: number | null }[] }>, n: PostgresNames): Promise<number> {
  const present = await query(`SELECT CASE WHEN to_regclass('${n.migrations}') IS NULL THEN 0 ELSE 1 END AS version`);
  if (!present.rows[0]?.version) return 0;
  return Number((await query(`SELECT max(version) AS version FROM ${n.migrations}`)).rows[0]?.version ?? 0);
}
