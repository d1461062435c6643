import { expect } from 'chai';
import { BoundedStore } from '../../lib/auth/bounded-store';

describe('auth: the bounded in-process throttle store', () => {
  let clock = 1_000_000;
  const now = () => clock;
  beforeEach(() => { clock = 1_000_000; });

  it('counts hits for one window from the first, which later hits do not extend', () => {
    const store = new BoundedStore(10, 60_000, now);
    expect(store.increment('a')).to.deep.equal({ totalHits: 1, resetTime: new Date(1_060_000) });
    clock += 59_999;
    expect(store.increment('a')).to.deep.equal({ totalHits: 2, resetTime: new Date(1_060_000) });
    store.decrement('a');
    expect(store.get('a')).to.deep.equal({ totalHits: 1, resetTime: new Date(1_060_000) });
    clock += 2;
    expect(store.get('a')).to.equal(undefined, 'the window ended');
    expect(store.increment('a')).to.deep.equal({ totalHits: 1, resetTime: new Date(1_120_001) });
    store.resetKey('a');
    expect(store.get('a')).to.equal(undefined);
  });

  it('past max, forgets the count used least recently', () => {
    const store = new BoundedStore(3, 60_000, now);
    for (const key of ['a', 'b', 'c']) store.increment(key);
    store.increment('a');
    store.get('b');
    store.increment('d');
    expect(store.size).to.equal(3);
    expect(store.get('c')).to.equal(undefined);
    expect(['a', 'b', 'd'].map((k) => store.get(k)?.totalHits)).to.deep.equal([2, 1, 1]);
  });

  it('drops the counts an attack left once their window is over, without a timer', () => {
    const store = new BoundedStore(1000, 60_000, now);
    for (let i = 0; i < 500; i++) store.increment(`k${i}`);
    clock += 60_001;
    store.increment('new');
    expect(store.size).to.equal(1);
  });
});
