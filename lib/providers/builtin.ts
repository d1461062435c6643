import { cybersource } from './cybersource';
import { firstoken } from './firstoken';
import { ni } from './ni';
import { tokenex } from './tokenex';

/** The providers `createTokenWebhooks` mounts by name: `webhooks.<name>(options)`. */
export const builtinProviders = { cybersource, tokenex, ni, firstoken } as const;

/** The built-in providers by name. */
export type BuiltinProviders = typeof builtinProviders;
export type BuiltinProviderName = keyof BuiltinProviders;
