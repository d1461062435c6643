import { expect } from 'chai';
import fc from 'fast-check';
import express from 'express';
import { fixture } from '../helpers/fixtures';
import { PROVIDERS, post, rejectionCode, securityReceiver, validHeaders } from './support';
import { descriptor } from '../providers/descriptors';
import type { ProviderName } from './support';
import { hasDuplicateKey } from '../../lib/shared/duplicate-keys';

/** Each provider's sample delivery (its descriptor's), into which the hostile shapes are written. */
const BASE = Object.fromEntries(PROVIDERS.map((p) => [p, fixture(p, descriptor(p).sample).text])) as Record<ProviderName, string>;

/** Insert `members` (JSON text, no braces) at the start of the top-level object. */
const withMembers = (text: string, members: string) => `{${members},${text.trimStart().slice(1)}`;

const CASES: [string, (text: string) => string | Buffer, number, string][] = [
  ['a top-level __proto__ key', (t) => withMembers(t, '"__proto__":{"polluted":true}'), 400, 'forbidden_json_key'],
  ['a nested __proto__ key', (t) => withMembers(t, '"x":{"y":[{"__proto__":{"polluted":true}}]}'), 400, 'forbidden_json_key'],
  ['constructor.prototype', (t) => withMembers(t, '"constructor":{"prototype":{"polluted":true}}'), 400, 'forbidden_json_key'],
  ['an escaped __proto__ key', (t) => withMembers(t, '"\\u005f_proto__":{"polluted":true}'), 400, 'forbidden_json_key'],
  ['nesting 33 levels deep', (t) => withMembers(t, `"deep":${'['.repeat(33)}${']'.repeat(33)}`), 400, 'json_too_deep'],
  ['nesting 30000 levels deep', (t) => withMembers(t, `"deep":${'['.repeat(30_000)}${']'.repeat(30_000)}`), 400, 'json_too_deep'],
  ['an array of 1001 items', (t) => withMembers(t, `"list":[${'0,'.repeat(1000)}0]`), 400, 'json_array_too_long'],
  ['a repeated top-level key', (t) => withMembers(t, '"x":1,"x":2'), 400, 'duplicate_json_key'],
  ['a repeated key spelled with an escape', (t) => withMembers(t, '"x":1,"\\u0078":2'), 400, 'duplicate_json_key'],
  ['a repeated key in a nested object', (t) => withMembers(t, '"o":{"a":{"k":1,"k":1}}'), 400, 'duplicate_json_key'],
  ['UTF-16LE bytes', (t) => Buffer.from(t, 'utf16le'), 400, 'invalid_json'],
  ['UTF-16BE bytes with a BOM', (t) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(t, 'utf16le').swap16()]), 400, 'invalid_json'],
  ['invalid UTF-8 (a lone continuation byte)', (t) => Buffer.concat([Buffer.from(t.slice(0, 10)), Buffer.from([0x80]), Buffer.from(t.slice(10))]), 400, 'invalid_json'],
  ['overlong UTF-8 for "/"', (t) => Buffer.concat([Buffer.from(t.slice(0, -1)), Buffer.from([0xc0, 0xaf]), Buffer.from('}')]), 400, 'invalid_json'],
  ['a body of 65537 bytes', (t) => withMembers(t, `"pad":"${'x'.repeat(65_537)}"`), 413, 'payload_too_large'],
  ['an empty body', () => '', 400, 'empty_body'],
  ['whitespace only', () => ' \r\n\t ', 400, 'empty_body'],
  ['a JSON array instead of an object', (t) => `[${t}]`, 400, 'schema_violation'],
  ['trailing garbage', (t) => `${t}}`, 400, 'invalid_json'],
  ['NaN, which JSON does not have', (t) => withMembers(t, '"n":NaN'), 400, 'invalid_json'],
];

describe('security: hostile JSON is refused before any handler, for every provider', () => {
  for (const provider of PROVIDERS) {
    describe(provider, () => {
      for (const [name, make, status, code] of CASES) {
        it(`${name} → ${status} ${code}`, async () => {
          const r = securityReceiver();
          const body = make(BASE[provider]);
          const res = await post(r.app, provider, body, validHeaders(provider, body));
          if (body.length === 0 && descriptor(provider).healthCheck) {
            expect([res.status, res.body]).to.deep.equal([200, { status: 'ok' }]); // the provider's health check
            return;
          }
          expect(res.status, res.text).to.equal(status);
          expect(rejectionCode(provider, res)).to.equal(code);
          expect(r.recorder.calls).to.have.length(0);
          expect(await r.webhooks.listEvents()).to.have.length(0);
          expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
        });
      }

      it('a UTF-8 BOM is accepted: the signature covers it, the parser drops it', async () => {
        const r = securityReceiver();
        const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(BASE[provider])]);
        const res = await post(r.app, provider, body, validHeaders(provider, body));
        expect(res.status, res.text).to.equal(200);
      });

      it('a charset other than UTF-8 is 415, and charset=utf-8 in any case passes', async () => {
        const r = securityReceiver();
        const body = BASE[provider];
        const utf16 = await post(r.app, provider, body, { ...validHeaders(provider, body), 'content-type': 'application/json; charset=utf-16' });
        expect(utf16.status).to.equal(415);
        expect(rejectionCode(provider, utf16)).to.equal('unsupported_media_type');
        const upper = await post(r.app, provider, body, { ...validHeaders(provider, body), 'content-type': 'application/json; charset=UTF-8' });
        expect(upper.status).to.equal(200);
      });
    });
  }

  it('behind the host\'s express.json(), a parsed __proto__ key is still refused (no signature to need raw bytes)', async () => {
    const r = securityReceiver((app) => app.use(express.json()));
    const body = withMembers(BASE.tokenex, '"__proto__":{"polluted":true}');
    const res = await post(r.app, 'tokenex', body, validHeaders('tokenex', body));
    expect(res.status).to.equal(400);
    expect(rejectionCode('tokenex', res)).to.equal('forbidden_json_key');
    expect(r.recorder.calls).to.have.length(0);
  });

  describe('hasDuplicateKey', () => {
    const cases: [string, boolean][] = [
      ['{"a":1,"b":{"a":2}}', false],
      ['[{"a":1},{"a":1}]', false],
      ['{"a":"\\"a\\"","b":["a","a"],"c":{}}', false],
      ['{"a":1,"a":1}', true],
      ['{"x":{"a":1},"x":2}', true],
      ['{"a\\\\":1,"a\\\\":2}', true],
      ['{"a":{"b":{"c":1,"d":[{"e":1,"e":2}]}}}', true],
      ['{"":1,"":2}', true],
    ];
    for (const [text, expected] of cases) {
      it(`${text} → ${expected}`, () => {
        JSON.parse(text); // the detector runs on valid JSON only
        expect(hasDuplicateKey(text)).to.equal(expected);
      });
    }
  });
});

describe('hasDuplicateKey over escaped strings', () => {
  it('finds repeated keys however the strings around them are escaped, and none where there are none', () => {
    const cases: [string, boolean][] = [
      ['{"a":"x\\\\","a":1}', true],
      ['{"a":"x\\"","b":1}', false],
      ['{"a":"\\\\\\"","a":1}', true],
      ['{"a\\\\":1,"a":2}', false],
      ['{"\\u0061":1,"a":2}', true],
      ['{"k":"\\\\\\\\","o":{"k":1,"x":[{"k":2},{"k":3}]},"z":"\\"k\\""}', false],
      ['{"o":{"k":1,"k":2}}', true],
    ];
    for (const [text, expected] of cases) {
      JSON.parse(text);
      if (hasDuplicateKey(text) !== expected) throw new Error(`${text}: expected ${expected}`);
    }
  });
});

describe('hasDuplicateKey on any JSON', () => {
  type Tree = { pairs: [string, Tree][]; escape: boolean } | Tree[] | string | number | null;
  const render = (tree: Tree): string => {
    if (tree === null || typeof tree !== 'object') return JSON.stringify(tree);
    if (Array.isArray(tree)) return `[${tree.map(render).join(',')}]`;
    return `{${tree.pairs.map(([k, v]) => `${tree.escape && k.length > 0 ? `"\\u${k.charCodeAt(0).toString(16).padStart(4, '0')}${JSON.stringify(k.slice(1)).slice(1)}` : JSON.stringify(k)}:${render(v)}`).join(', ')}}`;
  };
  const repeats = (tree: Tree): boolean => {
    if (tree === null || typeof tree !== 'object') return false;
    if (Array.isArray(tree)) return tree.some(repeats);
    return new Set(tree.pairs.map(([k]) => k)).size < tree.pairs.length || tree.pairs.some(([, v]) => repeats(v));
  };

  it('answers exactly whether some object repeats a key (integer-like keys, escapes and nesting included)', () => {
    const key = fc.constantFrom('a', 'b', 'c', '0', '1', '10', '"q', 'x\\y', 'é', '');
    const tree = fc.letrec<{ tree: Tree }>((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, fc.constantFrom('s', 1, null), fc.array(tie('tree'), { maxLength: 3 }),
        fc.record({ pairs: fc.array(fc.tuple(key, tie('tree')), { maxLength: 4 }), escape: fc.boolean() })),
    })).tree;
    fc.assert(fc.property(tree, (t) => {
      const text = render(t);
      JSON.parse(text);
      expect(hasDuplicateKey(text)).to.equal(repeats(t), text);
    }), { numRuns: 5000, seed: 3 });
  });
});
