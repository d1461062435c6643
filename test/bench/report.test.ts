import { expect } from 'chai';
import type { RoundMeasurement } from '../../bench/report';
import { handWrittenTable, pairedRatio, summarize } from '../../bench/report';
import { ROWS } from '../../bench/rows';
import { storeCpu, storeCpuSpent } from '../../bench/process-cpu';

const at = (reqPerSec: number, round?: number, cpu: { serverCpuPerRequest?: number; storeCpuPerRequest?: number } = {}): RoundMeasurement => ({ ...cpu,
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

describe('bench report: CPU per answer', function () {
  it('gives the median over the rounds of the server\'s and the store\'s CPU per answer, and prints them beside the hand-written row\'s', function () {
    const rows = ROWS.filter((r) => ['hand-postgres', 'cybersource-postgres'].includes(r.id));
    const rounds = new Map<string, RoundMeasurement[]>([
      ['hand-postgres', [at(400, 1, { serverCpuPerRequest: 580, storeCpuPerRequest: 190 }), at(400, 2, { serverCpuPerRequest: 600, storeCpuPerRequest: 200 })]],
      // the round with the median req/s is not the one with the median CPU: each figure is its own median
      ['cybersource-postgres', [at(500, 1, { serverCpuPerRequest: 420, storeCpuPerRequest: 170 }), at(900, 2, { serverCpuPerRequest: 400 }), at(600, 3, { serverCpuPerRequest: 440, storeCpuPerRequest: 180 })]],
    ]);
    const results = summarize(rows, rounds, new Map());
    expect(results.find((r) => r.id === 'cybersource-postgres')!.cpu).to.deep.equal({ server: 420, store: 180 });
    expect(results.find((r) => r.id === 'hand-postgres')!.cpu).to.deep.equal({ server: 600, store: 200 });
    expect(handWrittenTable(rows, results)).to.include('server CPU 420 vs 600 µs/req; store CPU 180 vs 200 µs/req');
  });

  it('has no CPU figures for rounds written before they were measured', function () {
    const rows = ROWS.filter((r) => r.id === 'cybersource-memory');
    expect(summarize(rows, new Map([['cybersource-memory', [at(1000, 1)]]]), new Map())[0]!.cpu).to.equal(undefined);
  });

  it('counts the store\'s CPU between two readings, a process started between them whole, and none for the memory store', function () {
    expect(storeCpuSpent(new Map([[10, 1000], [11, 50]]), new Map([[10, 1600], [11, 50], [12, 300]]))).to.equal(900);
    expect(storeCpu('memory')).to.equal(undefined);
    expect(storeCpu(undefined)).to.equal(undefined);
  });
});
