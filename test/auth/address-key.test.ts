import assert from 'node:assert/strict';
import { ipKeyGenerator } from 'express-rate-limit';
import { addressKey } from '../../lib/auth/throttle-store';

describe('auth: the network a failed authentication is counted under', () => {
  const addresses = ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::ffff', '2001:db8::1', '2001:db8:0:0:1::', '::1', '::', 'fe80::1%eth0',
    '2001:db8:a:b::1.2.3.4', '::1:2:3:4:5', '2001:0db8:0000:0000:0000:ff00:0042:8329', '1.2.3.4', '::ffff:1.2.3.4'];

  it('groups addresses as express-rate-limit\'s ipKeyGenerator does at /64: an IPv6 address by its network, a mapped IPv4 one as IPv4', () => {
    for (const a of addresses) {
      for (const b of addresses) {
        assert.equal(addressKey(a) === addressKey(b), ipKeyGenerator(a, 64) === ipKeyGenerator(b, 64), `${a} and ${b}`);
      }
    }
    assert.equal(addressKey('::ffff:1.2.3.4'), '1.2.3.4');
    assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  });
});
