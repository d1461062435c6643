import { expect } from 'chai';
import { LruMap } from '../../lib/shared/lru-map';

describe('LruMap', () => {
  it('forgets the least recently set or read first, telling only of what it forgot for room', () => {
    const forgotten: string[] = [];
    const map = new LruMap<string, number>(2, (key, value) => forgotten.push(`${key}=${value}`));
    map.set('a', 1).set('b', 2);
    expect(map.get('a')).to.equal(1);
    map.set('c', 3);
    expect(forgotten).to.deep.equal(['b=2']);
    expect(map.peek('b')).to.equal(undefined);
    map.set('a', 10);
    map.delete('c');
    expect(forgotten).to.deep.equal(['b=2']);
    expect(map.size).to.equal(1);
  });

  it('leaves recency alone on peek, and lists values the most recent first', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1).set('b', 2);
    expect(map.peek('a')).to.equal(1);
    expect(map.values()).to.deep.equal([2, 1]);
    map.set('c', 3);
    expect(map.values()).to.deep.equal([3, 2]);
    expect([...map]).to.deep.equal([['c', 3], ['b', 2]]);
  });

  it('refuses a bound below 1 or not whole', () => {
    for (const max of [0, 0.5, -1, Number.NaN, Infinity]) expect(() => new LruMap(max)).to.throw(TypeError);
  });
});

describe('LruMap at its bound', () => {
  it('forgets in order of use over many evictions, entries read or set again among them', () => {
    const map = new LruMap<number, number>(100);
    const order: number[] = [];
    const forgotten: number[] = [];
    const evicting = new LruMap<number, number>(100, (key) => forgotten.push(key));
    for (let i = 0; i < 5000; i++) {
      // A model of the order of use: an array, the least recent first.
      const touched = i % 3 === 0 && i > 0 ? i - 50 : i;
      if (touched !== i && map.get(touched) === undefined) continue;
      if (touched !== i) evicting.get(touched);
      else {
        map.set(i, i);
        evicting.set(i, i);
      }
      const at = order.indexOf(touched);
      if (at >= 0) order.splice(at, 1);
      order.push(touched);
      while (order.length > 100) expect(forgotten.shift()).to.equal(order.shift());
    }
    expect(forgotten).to.deep.equal([]);
    expect(evicting.values()).to.deep.equal([...order].reverse());
  });
});
