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

  it('holds at most its bound, forgetting the id finished longest ago first; finishing an id again puts it back', () => {
    const dedupe = new Dedupe(2);
    for (const id of ['a', 'b']) dedupe.finish({ provider: 'p', id }, 'fp');
    // A copy answered from the cache does not keep its id longer: a is still the oldest.
    expect(dedupe.knows({ provider: 'p', id: 'a' }, 'fp')).to.equal(true);
    dedupe.finish({ provider: 'p', id: 'c' }, 'fp');
    expect(['a', 'b', 'c'].map((id) => dedupe.knows({ provider: 'p', id }, 'fp'))).to.deep.equal([false, true, true]);
    // A copy of a forgotten id is answered by storage, which finishes it again: now b is the oldest.
    dedupe.finish({ provider: 'p', id: 'a' }, 'fp');
    expect(['a', 'b', 'c'].map((id) => dedupe.knows({ provider: 'p', id }, 'fp'))).to.deep.equal([true, false, true]);
  });
});
