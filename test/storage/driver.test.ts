import assert from 'node:assert/strict';
import { ConfigurationError } from '../../lib';
import { loadDriver } from '../../lib/storage/driver';

describe('optional database drivers', function () {
  it('throws ERR_NTW_DRIVER_MISSING with an install hint when the driver is not installed', function () {
    assert.throws(() => loadDriver('ntw-no-such-driver', 'SomeStorage'), (error: unknown) =>
      error instanceof ConfigurationError && error.code === 'ERR_NTW_DRIVER_MISSING' && error.message.includes('npm install ntw-no-such-driver'));
  });

  it('loads an installed driver', function () {
    assert.equal(typeof loadDriver<{ Pool: unknown }>('pg', 'PostgresStorage').Pool, 'function');
  });
});
