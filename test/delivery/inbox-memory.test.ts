import { MemoryStorage } from '../../lib';
import { runInboxConformance } from '../../lib/storage/inbox-conformance';

runInboxConformance('MemoryStorage', () => new MemoryStorage());
