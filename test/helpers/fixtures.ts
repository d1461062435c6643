import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Fixture {
  readonly name: string;
  /** The file's text, sent as the body byte for byte. */
  readonly text: string;
  readonly payload: Record<string, unknown>;
}

const root = join(__dirname, '..', 'providers');

/** The example payloads of one provider (`test/providers/<provider>/fixtures/[<folder>/]*.json`). */
export function fixtures(provider: string, folder = ''): Fixture[] {
  const dir = join(root, provider, 'fixtures', folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      return { name: f.replace(/\.json$/, ''), text, payload: JSON.parse(text) as Record<string, unknown> };
    });
}

export function fixture(provider: string, name: string): Fixture {
  const found = fixtures(provider).find((f) => f.name === name);
  if (!found) throw new Error(`no fixture ${provider}/${name}`);
  return found;
}

/** A deep copy of a fixture payload, changed by `edit`. */
export function edited(provider: string, name: string, edit: (payload: any) => void): string {
  const payload = JSON.parse(fixture(provider, name).text);
  edit(payload);
  return JSON.stringify(payload);
}
