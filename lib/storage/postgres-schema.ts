import { ConfigurationError } from '../errors';

/** Table names of one PostgresStorage, qualified by its schema. */
export interface PostgresTables {
  readonly schema: string;
  readonly claims: string;
  readonly events: string;
  readonly states: string;
}

export function postgresTables(schema: string): PostgresTables {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigurationError('ERR_NTW_OPTION', 'PostgresStorage schema must be a plain identifier (letters, digits, _)');
  }
  const q = `"${schema}"`;
  return { schema, claims: `${q}.ntw_claims`, events: `${q}.ntw_events`, states: `${q}.ntw_token_states` };
}

/** Idempotent DDL: run under an advisory lock so that instances starting together do not collide. */
export function postgresDdl(t: PostgresTables): string {
  return `
${t.schema === 'public' ? '' : `CREATE SCHEMA IF NOT EXISTS "${t.schema}";`}
CREATE TABLE IF NOT EXISTS ${t.claims} (
  provider text NOT NULL,
  id text NOT NULL,
  owner text NOT NULL,
  expires_at timestamptz NOT NULL,
  completed_at timestamptz,
  PRIMARY KEY (provider, id)
);
CREATE INDEX IF NOT EXISTS ntw_claims_completed ON ${t.claims} (completed_at);
CREATE TABLE IF NOT EXISTS ${t.events} (
  provider text NOT NULL,
  id text NOT NULL,
  type text NOT NULL,
  token_ref text NOT NULL,
  state text,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  stale boolean NOT NULL,
  stale_reason text,
  payload json,
  PRIMARY KEY (provider, id)
);
CREATE INDEX IF NOT EXISTS ntw_events_token ON ${t.events} (provider, token_ref, received_at);
CREATE INDEX IF NOT EXISTS ntw_events_received ON ${t.events} (received_at);
CREATE TABLE IF NOT EXISTS ${t.states} (
  provider text NOT NULL,
  token_ref text NOT NULL,
  state text NOT NULL,
  occurred_at timestamptz NOT NULL,
  event_id text NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (provider, token_ref)
);`;
}

/** Timestamps as epoch milliseconds (float8), independent of the pool's type parsers. */
export const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;
