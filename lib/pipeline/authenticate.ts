import type { Authenticator, Provider, ProviderOptions } from '../providers/provider';
import type { DeliveryRequest, Verified } from '../auth/authenticator';
import { ConfigurationError, WebhookError } from '../errors';
import { describeError } from '../shared/describe-error';
import { attachLogger, logger } from '../log';
import { isThenable } from '../shared/thenable';
import type { Logger } from '../log';

const log = logger('config');

/**
 * The check a mounted endpoint applies: the user's `authenticate` hook, else the provider's own.
 * Secure by default: an endpoint with neither refuses to start, unless `auth: 'none'` says so
 * explicitly (then it warns: anyone who finds the URL can post events).
 */
export function resolveAuthenticator<O extends ProviderOptions>(provider: Provider<string, never, O>, options: O, logTo?: Logger): Authenticator | undefined {
  if (options.authenticate) return { requiresRawBody: true, authenticate: options.authenticate };
  if ((options as { auth?: unknown }).auth === 'none') {
    log.warn({ provider: provider.name }, "the endpoint accepts unauthenticated deliveries (auth: 'none')", logTo);
    process.emitWarning(`network-token-webhooks: the ${provider.name} endpoint accepts unauthenticated deliveries (auth: 'none')`, 'NetworkTokenWebhooksWarning');
    return undefined;
  }
  const authenticator = provider.authenticator(options);
  if (!authenticator) {
    throw new ConfigurationError('ERR_NTW_AUTH_REQUIRED',
      `${provider.name}() needs authentication: its auth option, an authenticate hook, or auth: 'none' to accept unauthenticated deliveries`);
  }
  return authenticator;
}

/**
 * Step 2: the delivery is authentic, or `unauthorized`. A check that throws counts as a refusal. Answers the
 * scope the check verified when it is narrower than the whole body (`Verified.scope`): at once for a check that
 * answers at once, as most do. Why a check refused it is logged to the receiver's logger (`loggerOf(request)` in the check).
 */
export function authenticate(endpoint: { readonly provider: { readonly name: string }; readonly authenticator: Authenticator | undefined },
  logTo: Logger | undefined, request: DeliveryRequest, rawBody: Buffer): string | undefined | Promise<string | undefined> {
  if (!endpoint.authenticator) return undefined;
  attachLogger(request, logTo);
  let verdict: boolean | Verified | Promise<boolean | Verified>;
  try {
    verdict = endpoint.authenticator.authenticate(request, rawBody);
  } catch (error) {
    return scopeOf(threw(endpoint, error, logTo));
  }
  if (isThenable(verdict)) return verdict.then(scopeOf, (error: unknown) => scopeOf(threw(endpoint, error, logTo)));
  return scopeOf(verdict);
}

function threw(endpoint: { readonly provider: { readonly name: string } }, error: unknown, logTo: Logger | undefined): false {
  log.error({ provider: endpoint.provider.name, code: 'unauthorized', error: describeError(error) }, 'authenticate threw: the delivery is refused', logTo);
  return false;
}

/** The scope a verdict names (`undefined`: the whole body), or `unauthorized`. */
function scopeOf(verdict: boolean | Verified): string | undefined {
  if (verdict === true) return undefined;
  if (verdict && typeof verdict === 'object' && typeof verdict.scope === 'string') return verdict.scope;
  throw new WebhookError('unauthorized');
}
