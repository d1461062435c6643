import { MemoryStorage } from '../lib';
import type { Storage } from '../lib';

/** The demo's storage, chosen by `STORAGE` (memory for now; the storage issue adds sqlite, postgres, redis). */
export function storageFromEnv(): { storage: Storage; description: string } {
  return { storage: new MemoryStorage(), description: 'in-memory storage (nothing survives a restart)' };
}
