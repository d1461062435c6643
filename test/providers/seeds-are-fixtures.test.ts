import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures } from '../helpers/fixtures';
import { DESCRIPTORS } from './descriptors';

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
  before(function () {
    if (!existsSync(SEEDS)) {
      // The seeds live beside the repository (shared/seeds), not in it; their examples are the fixtures it holds.
      // eslint-disable-next-line no-console
      console.warn('      skipping the seed check: the providers\' seed documents (../shared/seeds beside the repository) are not there; every fixture is tested all the same');
      this.skip();
    }
  });

  it('are all known', () => {
    expect(readdirSync(SEEDS).filter((f) => f.endsWith('.txt')).sort()).to.deep.equal(DESCRIPTORS.flatMap((d) => d.seedFile ?? []).sort());
  });

  for (const { name: provider, seedFile, seedFolders } of DESCRIPTORS) {
    if (seedFile === undefined) continue; // a provider without a seed document: its fixtures cite their sources
    it(`every example payload of ${seedFile} is a fixture under test/providers/${provider}/fixtures`, () => {
      const known = seedFolders.flatMap((folder) => fixtures(provider, folder)).map((f) => f.payload);
      const examples = examplesIn(readFileSync(join(SEEDS, seedFile), 'utf8'));
      for (const example of examples) expect(known).to.deep.include(example);
      expect(examples.length).to.equal(known.length);
    });
  }
});
