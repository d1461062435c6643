import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalJson, contentId } from '../../lib/shared/canonical-json';

/**
 * The canonical JSON as the releases before 0.4 wrote it. Ids made from it are stored: a retry delivered after an upgrade must get
 * the id its first delivery got, so the text may never change.
 */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => reference(v === undefined ? null : v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const referenceId = (value: unknown) => `sha256:${createHash('sha256').update(reference(value)).digest('hex')}`;

describe('contentId: the id of a notification that carries none', () => {
  it('writes every value as earlier releases wrote it, and hashes it to the same id', () => {
    const leaf = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null),
      fc.constant(undefined), fc.constantFrom('__proto__', 'é', '\ud800', '"', '\\', ''));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, leaf, tie('object'), tie('array')),
      object: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('a', 'B', '10', '2', '__proto__', 'é', '')), tie('value'), { maxKeys: 6 }),
      array: fc.array(tie('value'), { maxLength: 5 }),
    }));
    fc.assert(fc.property(value, (v) => {
      expect(canonicalJson(v)).to.equal(reference(v));
      expect(contentId(v)).to.equal(referenceId(v));
    }), { numRuns: 2000 });
  });

  it('writes holes, undefined and objects without keys as earlier releases did', () => {
    // eslint-disable-next-line no-sparse-arrays
    for (const v of [[, 1], [undefined], { a: undefined }, { a: undefined, b: 1 }, {}, [], undefined, new Date(0), Object.create(null), [[], {}]]) {
      expect(canonicalJson(v), String(reference(v))).to.equal(reference(v));
    }
  });

  it('sorts objects of any number of keys as earlier releases did', () => {
    const key = fc.oneof(fc.string({ maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 3 }), fc.constantFrom('a', 'A', 'aa', '10', '9', 'é', 'Z'));
    fc.assert(fc.property(fc.uniqueArray(key, { maxLength: 40 }), (keys) => {
      const value = Object.fromEntries(keys.map((k, i) => [k, i % 3 === 0 ? { [k]: i } : i]));
      expect(canonicalJson(value)).to.equal(reference(value));
    }), { numRuns: 1000 });
  });

  it('is equal for equal values whatever the order of keys', () => {
    expect(contentId(JSON.parse('{"b":1,"a":{"y":[1,{"d":2,"c":3}],"x":null}}'))).to.equal(contentId({ a: { x: null, y: [1, { c: 3, d: 2 }] }, b: 1 }));
    expect(contentId({ a: 1 })).to.match(/^sha256:[0-9a-f]{64}$/);
  });
});
