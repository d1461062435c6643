import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      return { name: f.replace(/\.json$/, ''), text, payload: JSON.parse(text) as Record<string, unknown> };
    });
}

/** One fixture by name; `folder/name` for a fixture in a sub-folder (`documented/…`). */
export function fixture(provider: string, name: string): Fixture {
  const slash = name.lastIndexOf('/');
  const found = fixtures(provider, slash < 0 ? '' : name.slice(0, slash)).find((f) => f.name === name.slice(slash + 1));
  if (!found) throw new Error(`no fixture ${provider}/${name}`);
  return found;
}

/** A deep copy of a fixture payload, changed by `edit`. */
export function edited(provider: string, name: string, edit: (payload: any) => void): string {
  const payload = JSON.parse(fixture(provider, name).text);
  edit(payload);
  return JSON.stringify(payload);
}
