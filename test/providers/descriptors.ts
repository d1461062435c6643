import type { ProviderDescriptor, ProviderName } from './descriptor';
import { cybersource } from './cybersource/descriptor';
import { tokenex } from './tokenex/descriptor';
import { ni } from './ni/descriptor';
import { firstoken } from './firstoken/descriptor';

export type { ProviderDescriptor, ProviderName } from './descriptor';

/** The built-in providers as the tests know them, one descriptor each. */
export const DESCRIPTORS: readonly ProviderDescriptor[] = [cybersource, tokenex, ni, firstoken];
export const PROVIDERS: readonly ProviderName[] = DESCRIPTORS.map((d) => d.name);

export function descriptor(name: string): ProviderDescriptor {
  const found = DESCRIPTORS.find((d) => d.name === name);
  if (!found) throw new Error(`no test descriptor for provider ${name}`);
  return found;
}
