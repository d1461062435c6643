import { join } from 'node:path';
import { builtinProviders } from '../../lib';
import type { ProviderDescriptor, ProviderName } from './descriptor';

export type { ProviderDescriptor, ProviderName } from './descriptor';

/** The descriptor of a built-in provider: `test/providers/<name>/descriptor.ts`, which exports it under the provider's name. */
function load(name: ProviderName): ProviderDescriptor {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const found = (require(join(__dirname, name, 'descriptor')) as Record<string, ProviderDescriptor | undefined>)[name];
  if (!found || found.name !== name) throw new Error(`test/providers/${name}/descriptor.ts must export a descriptor named ${name}`);
  return found;
}

/** The built-in providers as the tests know them, one descriptor each, in the registry's order. */
export const DESCRIPTORS: readonly ProviderDescriptor[] = (Object.keys(builtinProviders) as ProviderName[]).map(load);
export const PROVIDERS: readonly ProviderName[] = DESCRIPTORS.map((d) => d.name);

export function descriptor(name: string): ProviderDescriptor {
  const found = DESCRIPTORS.find((d) => d.name === name);
  if (!found) throw new Error(`no test descriptor for provider ${name}`);
  return found;
}
