import { expect } from 'chai';
import type { RoundMeasurement } from '../../bench/report';
import { handWrittenTable, pairedRatio, summarize } from '../../bench/report';
import { ROWS } from '../../bench/rows';

const at = (reqPerSec: number, round?: number): RoundMeasurement => ({
  seconds: 5, requests: reqPerSec * 5, reqPerSec, p50: 1, p99: 2, non2xx: 0, errors: 0, timeouts: 0, statusCodes: {},
  peakRss: 0, heapUsed: 0, answered2xx: reqPerSec * 5, ...(round === undefined ? {} : { round }),
});

describe('bench report: ratios', function () {
  it('takes the median of the ratios round by round, which cancels a machine drifting between rounds', function () {
    // the machine halves its speed from round to round: each round the row does 0.5× the reference
    const ref = [at(8000, 1), at(4000, 2), at(2000, 3)];
    const row = [at(4000, 1), at(2000, 2), at(1000, 3)];
    expect(pairedRatio(row, ref)).to.equal(0.5);
  });

  it('pairs rounds by number, leaving out a round the other row has no measurement of', function () {
    const ref = [at(1000, 1), at(1000, 3)]; // round 2 failed
    const row = [at(500, 1), at(9000, 2), at(700, 3)];
    expect(pairedRatio(row, ref)).to.equal(0.7); // the upper middle of 0.5 and 0.7
  });

  it('pairs by position in results that carry no round numbers, and has no ratio without a common round', function () {
    expect(pairedRatio([at(300), at(600)], [at(1000), at(1000)])).to.equal(0.6);
    expect(pairedRatio([at(300, 1)], [at(1000, 2)])).to.equal(undefined);
  });
});

describe('bench report: ours over hand-written', function () {
  it('compares Cybersource on memory and on PostgreSQL with their hand-written rows, round by round, with both p99s', function () {
    const rows = ROWS.filter((r) => ['hand-memory', 'hand-postgres', 'cybersource-memory', 'cybersource-postgres'].includes(r.id));
    const rounds = new Map<string, RoundMeasurement[]>([
      ['hand-memory', [at(1000, 1), at(500, 2), at(1000, 3)]],
      ['cybersource-memory', [at(1200, 1), at(550, 2), at(1300, 3)]],
      ['hand-postgres', [at(400, 1), at(400, 2), at(400, 3)]],
      ['cybersource-postgres', [at(600, 1), at(500, 2), at(800, 3)]],
    ]);
    const results = summarize(rows, rounds, new Map());
    expect(results.find((r) => r.id === 'cybersource-memory')!.ratios.toHandWritten).to.equal(1.2);
    expect(results.find((r) => r.id === 'cybersource-postgres')!.ratios.toHandWritten).to.equal(1.5);
    expect(results.find((r) => r.id === 'hand-memory')!.ratios.toHandWritten).to.equal(undefined);
    const lines = handWrittenTable(rows, results).split('\n');
    expect(lines).to.have.length(2);
    expect(lines[0]).to.include('1.20×').and.include('p99 2.00 ms vs 2.00 ms');
    expect(lines[1]).to.include('1.50×');
  });
});
