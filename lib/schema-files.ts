import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JsonSchema } from './providers/provider';

function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'schemas')) || !existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('network-token-webhooks: cannot find the package "schemas" folder');
    dir = parent;
  }
  return dir;
}

/** The shipped JSON Schema `schemas/<name>.schema.json`. */
export function loadSchema(name: string): JsonSchema {
  return JSON.parse(readFileSync(join(packageRoot(), 'schemas', `${name}.schema.json`), 'utf8')) as JsonSchema;
}
