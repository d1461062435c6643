import { schemaBehind, schemaNewer } from './schema-version';

/**
 * How a store's schema changes from one release to the next: numbered steps, each applied once and in order, and a
 * version record in the store itself. The schema is the sum of the steps. The convention every adapter follows:
 *
 * - **The record.** The store keeps the version of the last step applied, under the adapter's own names: the
 *   built-in adapters use a table `ntw_migrations (version, name, applied_at)` with one row per step (PostgreSQL),
 *   the database file's `user_version` (SQLite), and a hash `<prefix>schema` with `version` and one `step:<n>` field
 *   per step (Redis). A store without one is at version 0.
 * - **At `init()`**, read it. Above the newest step the adapter knows: refuse (`schemaNewer`, `ERR_NTW_SCHEMA_NEWER`),
 *   whatever the mode: older code could undo what the newer release relies on. At it: start, having read one value.
 *   Below it: apply the steps it lacks (`pendingSteps`), one instance at a time (a transaction, an advisory lock,
 *   a lock key with an expiry), recording each with its step where the store allows one atomic write; or, for a role
 *   that may not change the schema (`migrations: 'verify'`), refuse (`schemaBehind`, `ERR_NTW_SCHEMA_BEHIND`).
 * - **Steps are never edited** once released: a change to what is stored is a new step. Each is idempotent (`IF NOT
 *   EXISTS`, "only when missing"), so a store that holds part of what a step creates is brought to it all the same.
 * - **A step that carries data forward** from a release still running elsewhere refuses while that release works on
 *   it (`olderVersionActive`, `ERR_NTW_OLDER_VERSION_ACTIVE`), after a bounded wait.
 */

/**
 * One numbered step of a store's schema. `apply` is whatever the store runs: a function of the open connection for
 * SQLite and Redis, the step's SQL for PostgreSQL (the steps run as one script).
 */
export interface MigrationStep<Apply> {
  /** 1 for the first step, then each step one more than the last. */
  readonly version: number;
  /** Recorded with the version: what the step does, in a few words. */
  readonly name: string;
  readonly apply: Apply;
}

/** The version a store is at once every step ran: the last step's. Throws when the steps are not numbered 1, 2, 3, … */
export function latestVersion(steps: readonly MigrationStep<unknown>[]): number {
  steps.forEach((step, i) => {
    if (step.version !== i + 1) throw new Error(`migration step "${step.name}" is numbered ${step.version}; expected ${i + 1}`);
  });
  return steps.length;
}

/**
 * The steps a store at version `found` lacks, in order (none when it is at the latest), or the refusal: data written
 * by a newer release (`ERR_NTW_SCHEMA_NEWER`), or, with `verify`, a store behind (`ERR_NTW_SCHEMA_BEHIND`, its message
 * saying how a role that may applies them: `verify.howToApply`). `where` names the store in the message (a schema,
 * a file, a key prefix).
 */
export function pendingSteps<Step extends MigrationStep<unknown>>(steps: readonly Step[], found: number, where: string,
  verify?: { readonly howToApply: string }): readonly Step[] {
  const known = latestVersion(steps);
  if (found > known) throw schemaNewer(where, found, known);
  if (found < known && verify) throw schemaBehind(where, found, known, verify.howToApply);
  return steps.filter((step) => step.version > found);
}
