/**
 * Loaded with `mocha --require` before any test file: every receiver the tests create without a `logger` of their
 * own gets one, a pino logger appending JSON lines to the file `NTW_LOG_RECORDS` names. The suites run as they
 * always do; the test that started them then reads every record they made (test/security/log-records.test.ts).
 */
import pino from 'pino';
import type * as Module from '../../lib/create-token-webhooks';
import type { TokenWebhooksOptions } from '../../lib';

const file = process.env.NTW_LOG_RECORDS;
if (!file) throw new Error('NTW_LOG_RECORDS must name the file the records go to');
const logger = pino({ level: 'debug' }, pino.destination({ dest: file, sync: true, append: true }));

const path = require.resolve('../../lib/create-token-webhooks');
const original = require(path) as typeof Module;
const replaced: typeof Module = {
  ...original,
  createTokenWebhooks: ((options: TokenWebhooksOptions = {}) => original.createTokenWebhooks({ logger, ...options })) as typeof Module.createTokenWebhooks,
};
Object.defineProperty(replaced, '__esModule', { value: true });
// Before anything imports the package: lib/index.ts re-exports from this very module object.
require.cache[path]!.exports = replaced;
