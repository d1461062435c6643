import { ConfigurationError } from '../../../errors';

/**
 * Why a storage refuses to start on the data it found. Each says what to do; docs/upgrading.md has the rest.
 * Thrown by `init()`, so `webhooks.ready()` rejects with it and deliveries are answered retry-later until it is fixed.
 */

/** The data was written by a newer release: running an older one on it could undo what the newer one relies on. */
export const schemaNewer = (where: string, found: number, known: number): ConfigurationError => new ConfigurationError('ERR_NTW_SCHEMA_NEWER',
  `the storage (${where}) is at schema version ${found}, written by a newer network-token-webhooks than this one (version ${known}): `
  + 'run the newer release, or restore the data it migrated');

/**
 * `migrations: 'verify'`: the schema lacks steps this release needs, and this role is not to apply them. `howToApply`
 * says how a role that may applies them (PostgreSQL's: `npx network-token-webhooks migrate postgres --print`).
 */
export const schemaBehind = (where: string, found: number, known: number, howToApply: string): ConfigurationError => new ConfigurationError('ERR_NTW_SCHEMA_BEHIND',
  `the storage (${where}) is at schema version ${found}; this release needs ${known}: apply the migrations with a role that may `
  + `(${howToApply}), or drop migrations: 'verify'`);

/** Instances of 0.1 still run events in this storage: carried forward now, they could finish unseen and run again. */
export const olderVersionActive = (where: string, detail: string): ConfigurationError => new ConfigurationError('ERR_NTW_OLDER_VERSION_ACTIVE',
  `${detail} (${where}): stop every network-token-webhooks 0.1 instance, then start this release, which carries their data forward`);
