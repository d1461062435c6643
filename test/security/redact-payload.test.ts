import { expect } from 'chai';
import fc from 'fast-check';
import { REDACTED, isCardNumber, maskCardNumbers, payloadRedactor } from '../../lib/redact';

/** Every digit run (digits joined by single separators) that is a card number, replaced: the reference of the masking. */
const referenceCardMask = (text: string) =>
  text.replace(/(?<![0-9])[0-9](?:[ ._/-]?[0-9])+(?![0-9])/g, (run) => (isCardNumber(run.replace(/\D/g, '')) ? REDACTED : run));

/** The redaction as it was written before the copy-on-write walk: a deep copy, every string masked. The reference. */
function referenceRedactor(extraKeys: readonly string[] = []): (value: unknown) => unknown {
  const keys = new Set(['activationCode', 'activation_code', 'otp', 'password', 'cvv', 'cvc', 'pan', 'cardNumber', 'card_number', ...extraKeys]
    .map((k) => k.trim().toLowerCase()));
  const mask = (text: string) => referenceCardMask(text)
    .replace(/(?<![^\s@"'<>(),;:])[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[A-Za-z]{2,}/g, REDACTED);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return mask(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v)) {
      let key = mask(k);
      while (key !== k && key in out) key = `${key}_`;
      out[key] = keys.has(k.trim().toLowerCase()) && inner !== '' && inner !== null && inner !== undefined ? REDACTED : walk(inner);
    }
    return out;
  };
  return walk;
}

describe('payloadRedactor: what the ledger keeps of a payload', () => {
  const redact = payloadRedactor(['secretField']);
  const reference = referenceRedactor(['secretField']);

  it('masks in a string exactly the card numbers a replace of every digit run finds, whatever digits and separators precede them', () => {
    const chars = fc.constantFrom('4', '1', '5', '2', '0', '9', '3', '6', '7', '8', ' ', '-', '.', '_', '/', 'a', '  ');
    const cards = fc.constantFrom('4111111111111111', '4111 1111 1111 1111', '5555-5555-5555-4444', '378282246310005', '6011000990139424');
    fc.assert(fc.property(fc.array(fc.oneof({ weight: 8, arbitrary: chars }, { weight: 1, arbitrary: cards }), { maxLength: 30 }), (list) => {
      const value = list.join('');
      expect(maskCardNumbers(value), value).to.equal(referenceCardMask(value));
    }), { numRuns: 3000 });
    for (const value of ['7 4111111111111111', '7-4111-1111-1111-1111', '74111111111111111', '1.4111111111111111', 'x4111111111111111', '9 5555555555554444 x']) {
      expect(maskCardNumbers(value), value).to.equal(referenceCardMask(value));
    }
  });

  it('returns a payload with nothing to redact as it is, without copying it', () => {
    const payload = { id: 'evt-1', data: { links: [{ href: '/tms/v2/tokenized-cards/7030000000', state: 'ACTIVE' }], n: 4111, ok: true, none: null } };
    expect(redact(payload)).to.equal(payload);
  });

  it('copies only what it redacts, and never changes the payload it was given', () => {
    const clean = { state: 'ACTIVE' };
    const payload = { clean, list: ['a', 'mail me at someone@example.com'], cvv: '123', card: '4111 1111 1111 1111' };
    const before = JSON.stringify(payload);
    const out = redact(payload) as typeof payload;
    expect(JSON.stringify(payload)).to.equal(before);
    expect(out).to.not.equal(payload);
    expect(out.clean).to.equal(clean);
    expect(out).to.deep.equal({ clean, list: ['a', `mail me at ${REDACTED}`], cvv: REDACTED, card: REDACTED });
  });

  it('redacts a card number sent as a JSON number, and a number too large to be read exactly; keeps timestamps and small numbers', () => {
    const payload = JSON.parse('{"ref":4111111111111111,"amex":378282246310005,"huge":4111111111111111111,"at":1732480000000,"n":12345,"f":4111111111111111.5,"not":4111111111111112}');
    expect(redact(payload)).to.deep.equal({ ref: REDACTED, amex: REDACTED, huge: REDACTED, at: 1732480000000, n: 12345, f: 4111111111111111.5, not: 4111111111111112 });
  });

  it('renames keys that hold a card number or an email, never merging two keys into one', () => {
    const payload = { [REDACTED]: 3, '4111111111111111': 1, '5555555555554444': 2, plain: 4 };
    expect(redact(payload)).to.deep.equal(reference(payload));
    expect(Object.keys(redact(payload) as object)).to.have.length(4);
  });

  it('answers exactly what a deep copy redacting every string answers, on any JSON', () => {
    const text = fc.oneof(fc.string(), fc.constantFrom('4111111111111111', '4111 1111 1111 1111', 'x 5555-5555-5555-4444 y',
      'a@b.co', 'ping someone@example.com', '2025-07-03T10:30:12Z', '1234567890123', 'Pan', ' CVV ', 'secretField', REDACTED));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.dictionary(text, tie('value'), { maxKeys: 5 }),
    })).value;
    fc.assert(fc.property(json, (value) => {
      expect(redact(value)).to.deep.equal(reference(value));
    }), { numRuns: 3000, seed: 7 });
  });
});
