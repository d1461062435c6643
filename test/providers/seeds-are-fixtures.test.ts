import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures } from '../helpers/fixtures';

const SEEDS = join(__dirname, '..', '..', '..', 'shared', 'seeds');

/** Every JSON object written out in a seed document. */
function examplesIn(text: string): unknown[] {
  const found: unknown[] = [];
  for (let i = text.indexOf('{'); i >= 0; i = text.indexOf('{', i + 1)) {
    for (let end = text.indexOf('}', i); end >= 0; end = text.indexOf('}', end + 1)) {
      try {
        found.push(JSON.parse(text.slice(i, end + 1)));
        i = end;
        break;
      } catch { /* not yet a whole object */ }
    }
  }
  return found;
}

describe('the providers\' seed documents', () => {
  const seedFiles: Record<string, string> = {
    cybersource: 'cybersource-tms-network-token-notifications.txt',
    tokenex: 'tokenex-token-state-change-notification.txt',
    ni: 'network-international-token-notification.txt',
    firstoken: 'firstoken-integration-flows.txt',
  };

  before(function () {
    if (!existsSync(SEEDS)) {
      if (process.env.CI === 'true') throw new Error(`seed documents missing at ${SEEDS}`);
      this.skip(); // the seeds live beside the repository (shared/seeds), not in it
    }
  });

  it('are all known', () => {
    expect(readdirSync(SEEDS).filter((f) => f.endsWith('.txt')).sort()).to.deep.equal(Object.values(seedFiles).sort());
  });

  for (const [provider, file] of Object.entries(seedFiles)) {
    it(`every example payload of ${file} is a fixture under test/fixtures/${provider}`, () => {
      const known = [...fixtures(provider), ...(provider === 'ni' ? fixtures('ni/responses') : [])].map((f) => f.payload);
      const examples = examplesIn(readFileSync(join(SEEDS, file), 'utf8'));
      for (const example of examples) expect(known).to.deep.include(example);
      expect(examples.length).to.equal(provider === 'firstoken' ? 0 : known.length);
    });
  }
});
