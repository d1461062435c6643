import { expect } from 'chai';
import { REFUSAL_ROWS_MAX, RefusalTally } from '../../lib/telemetry/refusal-tally';

const at = (minute: number) => new Date(Date.UTC(2026, 2, 2, 8, minute));
const refusal = (provider: string, status: number, code: string, minute = 0) =>
  ({ provider, status, code, message: 'the bearer token is wrong', at: at(minute) });

describe('refusal tally', () => {
  it('counts by provider, status and code, keeps the last time, and sorts by provider then code', () => {
    const tally = new RefusalTally(at(0));
    tally.record(refusal('tokenex', 401, 'unauthorized', 1));
    tally.record(refusal('cybersource', 415, 'unsupported_media_type', 2));
    tally.record(refusal('tokenex', 401, 'unauthorized', 3));
    tally.record(refusal('tokenex', 400, 'schema_violation', 4));
    const snapshot = tally.snapshot();
    expect(snapshot.since).to.deep.equal(at(0));
    expect(snapshot.untallied).to.equal(0);
    expect(snapshot.rows).to.deep.equal([
      { provider: 'cybersource', status: 415, code: 'unsupported_media_type', count: 1, last: at(2) },
      { provider: 'tokenex', status: 400, code: 'schema_violation', count: 1, last: at(4) },
      { provider: 'tokenex', status: 401, code: 'unauthorized', count: 2, last: at(3) },
    ]);
    expect(JSON.stringify(snapshot)).to.not.include('bearer', 'not even the message is kept');
  });

  it('is bounded: past its rows, new kinds are counted only as untallied while known ones still count', () => {
    const tally = new RefusalTally(at(0), 3);
    for (const code of ['a', 'b', 'c', 'd', 'e']) tally.record(refusal('acme', 400, code));
    tally.record(refusal('acme', 400, 'a', 9));
    tally.record(refusal('other', 401, 'unauthorized'));
    const snapshot = tally.snapshot();
    expect(snapshot.rows.map((r) => `${r.code}:${r.count}`)).to.deep.equal(['a:2', 'b:1', 'c:1']);
    expect(snapshot.rows[0]!.last).to.deep.equal(at(9));
    expect(snapshot.untallied).to.equal(3);
  });

  it('holds at most REFUSAL_ROWS_MAX rows by default', () => {
    const tally = new RefusalTally(at(0));
    for (let i = 0; i < REFUSAL_ROWS_MAX + 50; i++) tally.record(refusal(`p${i}`, 400, 'schema_violation'));
    expect(tally.snapshot().rows).to.have.length(REFUSAL_ROWS_MAX);
    expect(tally.snapshot().untallied).to.equal(50);
  });

  it('a snapshot is a copy: later refusals do not change it', () => {
    const tally = new RefusalTally(at(0));
    tally.record(refusal('tokenex', 401, 'unauthorized', 1));
    const before = tally.snapshot();
    tally.record(refusal('tokenex', 401, 'unauthorized', 2));
    expect(before.rows[0]!.count).to.equal(1);
    expect(tally.snapshot().rows[0]!.count).to.equal(2);
  });
});
