import type { Authenticator, Provider, ProviderOptions } from '../providers/provider';
import { logger } from '../log';

const log = logger('config');

/**
 * The check a mounted endpoint applies: the user's `authenticate` hook, else the provider's own,
 * else none (with a warning: anyone who finds the URL can post events).
 */
export function resolveAuthenticator<O extends ProviderOptions>(provider: Provider<string, never, O>, options: O): Authenticator | undefined {
  if (options.authenticate) return { requiresRawBody: true, authenticate: options.authenticate };
  const optedOut = (options as { auth?: unknown }).auth === 'none';
  const authenticator = optedOut ? undefined : provider.authenticator(options);
  if (!authenticator) {
    const why = optedOut ? "auth: 'none'" : 'no authentication configured';
    log('WARNING: %s endpoint accepts unauthenticated deliveries (%s)', provider.name, why);
    process.emitWarning(`network-token-webhooks: the ${provider.name} endpoint accepts unauthenticated deliveries (${why})`, 'NetworkTokenWebhooksWarning');
  }
  return authenticator;
}
