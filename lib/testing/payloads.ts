import type { BuiltinProviderName, BuiltinProviders } from '../providers/builtin';
import { builtinProviders } from '../providers/builtin';
import type { RawOf } from '../providers/provider';
import type { PayloadKind, PayloadOverrides, ProviderTestKit, Writable } from '../providers/test-kit';

export type { PayloadKind, PayloadOverrides, Writable } from '../providers/test-kit';

/** The payload each built-in provider sends. */
export type BuiltPayloads = { readonly [P in BuiltinProviderName]: RawOf<BuiltinProviders[P]> };
export type BuiltinName = BuiltinProviderName;

/** The test kit of a built-in provider, by name. */
export function testKitOf(provider: string): ProviderTestKit<unknown, unknown> | undefined {
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
