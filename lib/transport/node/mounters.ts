import type { BuiltinProviders } from '../../providers/builtin';
import { builtinProviders } from '../../providers/builtin';
import type { OptionsOf, Provider, ProviderOptions } from '../../providers/provider';
import type { WebhookMiddleware } from './middleware';

/** `webhooks.cybersource(options)`, `webhooks.tokenex(options)`, …: each built-in provider's Express endpoint by its name. */
export type Mounters = {
  readonly [K in keyof BuiltinProviders]: (options: OptionsOf<BuiltinProviders[K]>) => WebhookMiddleware;
};

/** The mounters of every built-in provider, each calling `endpoint` with it. */
export function mountersOf(endpoint: (provider: Provider<string, unknown, ProviderOptions>, options?: ProviderOptions) => WebhookMiddleware): Mounters {
  return Object.fromEntries(Object.values(builtinProviders).map((provider) => [
    provider.name, (options?: ProviderOptions) => endpoint(provider as unknown as Provider<string, unknown, ProviderOptions>, options),
  ])) as unknown as Mounters;
}
