import { expect } from 'chai';
import fc from 'fast-check';
import { REDACTED, cleanJsonText, maskCardNumbers, payloadRedactor } from '../../lib/redact';
import { fixture } from '../helpers/fixtures';
import { builtinProviders } from '../../lib';
import { factsOf, parseJsonText, writesLongNumber } from '../../lib/shared/parse-json';

/** The body as parsed by the pipeline (checked and, when it holds nothing to redact, marked so in its one walk). */
const parsed = (text: string) => parseJsonText(Buffer.from(text)).value;

const keys = fc.constantFrom('id', 'state', 'pan', 'cvv', 'secretField', 'note', '__proto_', 'n', 'card_number', 'x');
const strings = fc.oneof(
  fc.string(),
  fc.constantFrom('4111111111111111', '4111 1111 1111 1111', '7030010000056432345', 'write to a@b.co', '', 'ACTIVE', '2025-07-03T10:29:12'),
);
const numbers = fc.oneof(fc.integer(), fc.constantFrom(4111111111111111, 7030010000056432, 1e15, 2 ** 60, 0.5));
const { value: payloads } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, strings, numbers, fc.boolean(), fc.constant(null), tie('object'), tie('array')),
  object: fc.dictionary(keys, tie('value'), { maxKeys: 5 }),
  array: fc.array(tie('value'), { maxLength: 4 }),
}));

describe('the parser\'s one walk of a payload, and the redaction after it', () => {
  const redact = payloadRedactor(['secretField']);

  it('redacts a parsed payload exactly as it redacts the same payload parsed elsewhere', () => {
    fc.assert(fc.property(fc.dictionary(keys, payloads, { maxKeys: 6 }), fc.boolean(), (payload, escape) => {
      let text = JSON.stringify(payload);
      // Written with escapes, the digits and the @ are not in the text as such: the walk must not vouch for it.
      if (escape) text = text.replace(/4111/g, '\\u0034111').replace(/@/g, '\\u0040');
      let ours: unknown;
      try {
        ours = parsed(text);
      } catch {
        return; // an escape outside a string: not JSON
      }
      expect(redact(ours)).to.deep.equal(redact(JSON.parse(text)));
    }), { numRuns: 500 });
  });

  it('leaves nothing in clear that an escape hides', () => {
    const out = redact(parsed('{"card":"\\u0034111111111111111","mail":"a\\u0040example.com"}'));
    expect(out).to.deep.equal({ card: REDACTED, mail: REDACTED });
  });

  it('keeps a clean payload as it is, without a copy', () => {
    const payload = parsed('{"id":"evt-1","data":{"instrument":"7030010000056432345","n":12}}');
    expect(redact(payload)).to.equal(payload);
  });

  it('redacts a key a redactor made after the parse takes for a secret', () => {
    const payload = parsed('{"id":"evt-2","laterSecret":"hush"}');
    expect(payloadRedactor(['laterSecret'])(payload)).to.deep.equal({ id: 'evt-2', laterSecret: REDACTED });
  });

  it('says whether the text last parsed writes a number of 13 characters or more, outside strings only', () => {
    const plain = '{"a":"x:41111111111111111","b":[1,2.5,-123456789012]}';
    parsed(plain);
    expect(writesLongNumber(plain)).to.equal(false);
    expect(writesLongNumber(`${plain} `)).to.equal(undefined);
    const long = '{"a":0.41111111111111111}';
    parsed(long);
    expect(writesLongNumber(long)).to.equal(undefined);
    expect(writesLongNumber(plain)).to.equal(undefined);
    const negative = '{"a":-4111111111111111}';
    parsed(negative);
    expect(writesLongNumber(negative)).to.equal(undefined);
  });

  it('refuses repeated keys, forbidden keys and depth as the separate checks do', () => {
    const code = (text: string) => {
      try {
        parsed(text);
        return undefined;
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(code('{"a":1,"a":2}')).to.equal('duplicate_json_key');
    expect(code('{"x":{"__proto__":{}}}')).to.equal('forbidden_json_key');
    expect(code(`${'['.repeat(40)}${']'.repeat(40)}`)).to.equal('json_too_deep');
    expect(code(`{"d":${'['.repeat(40)}${']'.repeat(40)},"a":1,"a":2}`)).to.equal('duplicate_json_key');
    expect(code('{"1":1,"1":2}')).to.equal('duplicate_json_key');
    expect(code('{"1":1,"2":{"a":1}}')).to.equal(undefined);
  });

  describe('the text check that stands in for the redaction walk', () => {
    const clean = cleanJsonText(['secretField']);
    /** A text the check vouches for (no number of 13 characters or more either: the caller rules those out) parses to what the redaction keeps as it is. */
    const vouched = (text: string) => clean(text) && !/(?:^|[:,[])\s*-?[0-9][0-9.eE+-]{12}/.test(text);

    it('vouches only for a text whose payload the redaction leaves as it is', () => {
      const spelled = fc.constantFrom((k: string) => k, (k: string) => k.toUpperCase(), (k: string) => ` ${k} `, (k: string) => `${k}x`);
      fc.assert(fc.property(fc.dictionary(keys, payloads, { maxKeys: 6 }), fc.boolean(), spelled, fc.constantFrom('', ' '),
        (payload, escape, spell, space) => {
          let text = JSON.stringify(payload, null, space ? 1 : 0).replace(/"([^"\\]*)":/g, (_, k: string) => `"${spell(k)}":`);
          if (escape) text = text.replace(/4111/g, '\\u0034111').replace(/@/g, '\\u0040');
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            return;
          }
          if (vouched(text)) expect(redact(value)).to.equal(value);
          // With what the parser's scan found of the text: the same verdict on what it vouches for.
          let facts;
          try {
            parsed(text);
            facts = factsOf(text);
          } catch {
            facts = undefined;
          }
          if (facts && !facts.longNumber && clean(text, facts)) expect(redact(value)).to.equal(value);
        }), { numRuns: 1000 });
    });

    it('finds a card number in a string wherever the masking finds one, grouped or not', () => {
      const chars = fc.constantFrom('4', '1', '5', '2', '0', '9', '3', '6', '7', '8', ' ', '-', '.', '_', '/', 'a');
      fc.assert(fc.property(fc.array(chars, { maxLength: 40 }), (list) => {
        const value = list.join('');
        if (maskCardNumbers(value) !== value) expect(clean(JSON.stringify({ a: value })), value).to.equal(false);
      }), { numRuns: 3000 });
    });

    it('cannot vouch for a secret key in any case or spacing, a card number, an email, an exponent, an escape or a character past ASCII', () => {
      for (const text of ['{"PAN":"x"}', '{" cvv ":"1"}', '{"secretfield":"x"}', '{"a":"4111 1111 1111 1111"}', '{"4111111111111111":1}',
        '{"a":"a@b.co"}', '{"a":41111111e8}', '{"a":[1,4.1e15]}', '{"a":"\\u0034"}', '{"a":"é"}', '{"a":"4111-1111-1111-1111"}',
        '{"a":"x 5555555555554444."}', '{"\\tPAN\\n":"x"}']) {
        expect(clean(text), text).to.equal(false);
        parsed(text);
        const facts = factsOf(text);
        if (facts) expect(clean(text, facts), `${text}, with the parser's facts`).to.equal(false);
      }
      for (const text of ['{"id":"7030010000056432345","company":"pan am","n":-12.5}', '{"a":"4111111111111112"}']) {
        expect(clean(text), text).to.equal(true);
      }
    });

    it('vouches for a provider\'s usual payload: ids, long instrument numbers, dates', () => {
      const kit = builtinProviders.cybersource.testKit!;
      // A fixed id: a random one holds, about once in 500, a run of 13 digits or more that passes the card check
      // (`71AE47592703410986C2…`), which the redaction masks, as it should.
      const id = '71AE475B2703410F86C2B1CC733BD8D8';
      for (const text of [fixture('cybersource', 'network-token-suspended').text, JSON.stringify(kit.payload('suspended', { id }))]) {
        expect(cleanJsonText([])(text), text).to.equal(true);
        expect(redact(JSON.parse(text))).to.deep.equal(JSON.parse(text));
      }
      expect(JSON.stringify(kit.payload('suspended', { id }))).to.match(/"\d{19}"/);
    });
  });
});
