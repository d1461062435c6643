import type { BuiltinProviderName, BuiltinProviders } from '../providers/builtin';
import { builtinProviders } from '../providers/builtin';
import type { Provider, ProviderOptions, RawOf } from '../providers/provider';
import type { PayloadKind, PayloadOverrides, ProviderTestKit, Writable } from '../providers/test-kit';

export type { PayloadKind, PayloadOverrides, Writable } from '../providers/test-kit';

/** The payload each built-in provider sends. */
export type BuiltPayloads = { readonly [P in BuiltinProviderName]: RawOf<BuiltinProviders[P]> };
export type BuiltinName = BuiltinProviderName;

/** A provider as the test helpers take it: a built-in one by its name, or any provider (one of yours) itself. */
export type ProviderRef = BuiltinName | (string & {}) | { readonly name: string; readonly testKit?: object };

/** The name of a provider given by name or as itself. */
export const nameOf = (provider: ProviderRef): string => (typeof provider === 'string' ? provider : provider.name);

/** The test kit of a provider given as itself, or of a built-in one by its name. */
export function testKitOf(provider: ProviderRef): ProviderTestKit<unknown, unknown> | undefined {
  if (typeof provider !== 'string') return (provider as Provider<string, unknown, ProviderOptions>).testKit as ProviderTestKit<unknown, unknown> | undefined;
  const found = Object.hasOwn(builtinProviders, provider) ? builtinProviders[provider as BuiltinName] : undefined;
  return found?.testKit as ProviderTestKit<unknown, unknown> | undefined;
}

/**
 * A notification as `provider` sends it, valid against its shipped schema: for your own tests, with overrides
 * for the id, token, time and anything else (`edit`).
 *
 * ```ts
 * const body = buildPayload('tokenex', 'suspended', { tokenRef: 'tok-1' });
 * ```
 */
export function buildPayload<N extends BuiltinName>(provider: N, kind: PayloadKind, overrides: PayloadOverrides<BuiltPayloads[N]> = {}): BuiltPayloads[N] {
  const kit = testKitOf(provider);
  if (!kit) throw new TypeError(`unknown provider "${String(provider)}"`);
  if (!kit.kinds.includes(kind)) throw new TypeError(`${provider} sends no "${kind}" notification`);
  const payload = kit.payload(kind, overrides as PayloadOverrides<unknown>) as BuiltPayloads[N];
  return overrides.edit?.(payload as Writable<BuiltPayloads[N]>) ?? payload;
}
