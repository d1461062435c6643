import type { RedisMigration } from './step';

/** Step 1: the ledger. Its keys are written as entries arrive: there is nothing to create. */
export const ledger: RedisMigration = { version: 1, name: 'ledger', apply: async () => undefined };
