import type { PostgresNames } from '../../../postgres-schema';
import type { MigrationStep } from '../steps';

/** One step of PostgreSQL's schema: its SQL, for the names of one schema. The steps run as one script (`postgresMigrationScript`). */
export type PostgresMigration = MigrationStep<(n: PostgresNames) => string>;
