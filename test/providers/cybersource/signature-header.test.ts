import { expect } from 'chai';
import fc from 'fast-check';
import { parseSignatureHeader } from '../../../lib/providers/cybersource-signature';

/** The header as Cybersource sends it, read the way the parser read it before it cut it at its semicolons: one match. */
const PLAIN = /^t=(\d{1,16});keyId=([^;="\s]+);sig=([A-Za-z0-9+/]+={0,2})$/;
const byMatch = (value: string) => {
  const m = PLAIN.exec(value);
  return m ? { t: m[1], keyId: m[2], sig: Buffer.from(m[3]!, 'base64') } : undefined;
};

const chars = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(''));
const digits = chars('0123456789', 1, 18);
const keyId = fc.oneof(chars('abcXYZ09-_.:', 1, 20), fc.string({ minLength: 1, maxLength: 12 }));
const base64 = fc.tuple(chars('ABCxyz019+/', 1, 48), chars('=', 0, 3)).map(([b, pad]) => b + pad);

describe('cybersource: the v-c-signature header', () => {
  it('as Cybersource sends it, reads the parts a match of its shape captures', () => {
    let matched = 0;
    fc.assert(fc.property(digits, keyId, base64, (t, id, sig) => {
      const value = `t=${t};keyId=${id};sig=${sig}`;
      const expected = byMatch(value);
      if (!expected) return;
      matched++;
      expect(parseSignatureHeader(value)).to.deep.equal(expected);
    }), { numRuns: 3000 });
    expect(matched).to.be.above(1000);
  });

  it('the documented example and its padded signature', () => {
    const value = 't=1617830804768;keyId=6c9e0f7d-55bb-4c1b-bc8f-1c1d7f5a0d0a;sig=OVQ0a+c6o2mGc7Z2sM9rbSxTq4HbGQ7hqF2nQYpYp8o=';
    expect(parseSignatureHeader(value)).to.deep.equal({
      t: '1617830804768', keyId: '6c9e0f7d-55bb-4c1b-bc8f-1c1d7f5a0d0a', sig: Buffer.from('OVQ0a+c6o2mGc7Z2sM9rbSxTq4HbGQ7hqF2nQYpYp8o=', 'base64'),
    });
  });
});
