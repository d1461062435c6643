import { ConfigurationError } from '../errors';

/** Names of one PostgresStorage's tables and functions, qualified by its schema. */
export interface PostgresNames {
  readonly schema: string;
  readonly ledger: string;
  readonly states: string;
  /** The admit this version calls: for a new entry it answers only the columns it set. */
  readonly admit: string;
  /** The admit of earlier versions (the whole row in every answer), kept for their instances during a rolling upgrade. */
  readonly admitWholeRow: string;
  readonly lease: string;
  /** Leases a batch of due entries (step 4). */
  readonly leaseMany: string;
  /** A state applied to its token without counting it (step 4): `leaseMany` counts its batch's changes at once. */
  readonly projectUncounted: string;
  readonly project: string;
  readonly tokenCounts: string;
  readonly countToken: string;
  /** The numbered steps applied to this schema. */
  readonly migrations: string;
  /** The fleet's refused deliveries, by minute. */
  readonly refusals: string;
}

export function postgresNames(schema: string): PostgresNames {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigurationError('ERR_NTW_OPTION', 'PostgresStorage schema must be a plain identifier (letters, digits, _)');
  }
  const q = `"${schema}"`;
  return {
    schema, ledger: `${q}.ntw_ledger`, states: `${q}.ntw_token_states`, admit: `${q}.ntw_admit_v2`, admitWholeRow: `${q}.ntw_admit`, lease: `${q}.ntw_lease`, leaseMany: `${q}.ntw_lease_many`,
    projectUncounted: `${q}.ntw_project_uncounted`, project: `${q}.ntw_project`,
    tokenCounts: `${q}.ntw_token_counts`, countToken: `${q}.ntw_count_token`, migrations: `${q}.ntw_migrations`, refusals: `${q}.ntw_refusals`,
  };
}

/** Timestamps as epoch milliseconds (float8), independent of the pool's type parsers. */
export const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;

