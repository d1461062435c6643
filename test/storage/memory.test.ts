import { MemoryStorage } from '../../lib';
import { runStorageConformance } from '../../lib/storage/conformance';

runStorageConformance('MemoryStorage', () => new MemoryStorage());
