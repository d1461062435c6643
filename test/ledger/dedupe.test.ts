import { expect } from 'chai';
import { Dedupe } from '../../lib/ledger/dedupe';

describe('the in-process dedupe', () => {
  it('knows an id only for the provider that finished it, with the same meaning: an equal id of another provider goes to storage', () => {
    const dedupe = new Dedupe(10);
    dedupe.finish({ provider: 'tokenex', id: 'evt-1' }, 'fp-a');
    expect(dedupe.knows({ provider: 'tokenex', id: 'evt-1' }, 'fp-a')).to.equal(true);
    expect(dedupe.knows({ provider: 'tokenex', id: 'evt-1' }, 'fp-b'), 'another meaning').to.equal(false);
    expect(dedupe.knows({ provider: 'cybersource', id: 'evt-1' }, 'fp-a'), 'another provider').to.equal(false);
    dedupe.finish({ provider: 'cybersource', id: 'evt-1' }, 'fp-a');
    expect(dedupe.knows({ provider: 'cybersource', id: 'evt-1' }, 'fp-a')).to.equal(true);
    // One entry an id: the first provider's copy is now taken to storage, which still dedupes it.
    expect(dedupe.knows({ provider: 'tokenex', id: 'evt-1' }, 'fp-a')).to.equal(false);
  });

  it('holds at most its bound, forgetting the least recently used id first', () => {
    const dedupe = new Dedupe(2);
    for (const id of ['a', 'b']) dedupe.finish({ provider: 'p', id }, 'fp');
    expect(dedupe.knows({ provider: 'p', id: 'a' }, 'fp')).to.equal(true); // a is now the most recently used
    dedupe.finish({ provider: 'p', id: 'c' }, 'fp');
    expect(['a', 'b', 'c'].map((id) => dedupe.knows({ provider: 'p', id }, 'fp'))).to.deep.equal([true, false, true]);
  });
});
