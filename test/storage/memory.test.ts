import { MemoryStorage } from '../../lib';
import { runStorageConformance } from '../../lib/testing/storage-conformance';

runStorageConformance('MemoryStorage', () => new MemoryStorage());
