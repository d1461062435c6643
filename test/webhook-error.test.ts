import assert from 'node:assert/strict';
import { WebhookError } from '../lib';

describe('WebhookError', function () {
  it('a refusal the sender caused (4xx) carries no stack frames; a 5xx keeps them; Error.stackTraceLimit is left as it was', function () {
    const limit = Error.stackTraceLimit;
    const refusal = new WebhookError('unauthorized');
    assert.equal(Error.stackTraceLimit, limit);
    assert.equal(refusal.stack, `WebhookError: ${refusal.message}`, 'the header line only');
    assert.deepEqual([refusal.code, refusal.status, refusal.name, refusal instanceof Error], ['unauthorized', 401, 'WebhookError', true]);
    const failure = new WebhookError('storage_unavailable', { cause: new Error('down') });
    assert.match(failure.stack ?? '', /\n\s+at /, 'a 5xx has its frames');
    assert.equal((failure.cause as Error).message, 'down');
  });

  it('is made as usual where Error.stackTraceLimit cannot be set', function () {
    const descriptor = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')!;
    Object.defineProperty(Error, 'stackTraceLimit', { ...descriptor, writable: false });
    try {
      // the module read the descriptor when it loaded; a fresh copy reads it now
      const path = require.resolve('../lib/errors');
      const cached = require.cache[path];
      delete require.cache[path];
      try {
        const { WebhookError: Fresh } = require('../lib/errors') as typeof import('../lib/errors');
        const refusal = new Fresh('schema_violation', { issues: [{ path: '/a', message: 'must be string' }] });
        assert.equal(refusal.status, 400);
        assert.match(refusal.stack ?? '', /\n\s+at /);
      } finally {
        require.cache[path] = cached;
      }
    } finally {
      Object.defineProperty(Error, 'stackTraceLimit', descriptor);
    }
  });
});
