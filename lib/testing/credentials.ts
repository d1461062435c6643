import type { BuiltinProviderName, BuiltinProviders } from '../providers/builtin';
import type { Provider, ProviderOptions, SecretOf } from '../providers/provider';
import type { KitCredentials, SharedCredentials, SignedDelivery } from '../providers/test-kit';
import { sharedSecretHeaders } from '../providers/test-kit';
import type { ProviderRef } from './payloads';
import { nameOf, testKitOf } from './payloads';

export { cybersourceSignature } from '../providers/cybersource-signature';
export { firstokenSignature } from '../providers/firstoken-signature';

/**
 * The secrets a receiver was configured with, as a test (or the CLI) signs deliveries for it: a shared secret
 * (`bearer`, `basic`), and under each provider's name the secret its test kit signs with: `cybersource` a key id
 * and its base64 key of `cybersource({ keys })`, `firstoken` the Webhook Key, `ni` the bearer NI sends (default
 * `bearer`), `checkout` its webhook's `{ signatureKey, authorization? }`.
 */
export type TestCredentials = SharedCredentials & {
  /** Clock of signatures, in ms. Default `Date.now`. */
  readonly now?: () => number;
} & { readonly [P in BuiltinProviderName]?: SecretOf<BuiltinProviders[P]> };

/** The credentials for `provider`: `TestCredentials`, and for a provider of yours given as itself, its kit's secret under its name. */
export type CredentialsFor<P> = P extends Provider<infer N, unknown, ProviderOptions, infer S>
  ? (string extends N ? TestCredentials : TestCredentials & { readonly [K in N]?: S }) : TestCredentials;

/** What `provider`'s kit signs with, of `credentials`. */
export function kitCredentials(provider: ProviderRef, credentials: TestCredentials): KitCredentials<unknown> {
  const secret = (credentials as Readonly<Record<string, unknown>>)[nameOf(provider)];
  return { ...(credentials.bearer !== undefined ? { bearer: credentials.bearer } : {}), ...(credentials.basic ? { basic: credentials.basic } : {}), ...(secret !== undefined ? { secret } : {}) };
}

/**
 * `body` made ready to send to `provider` as `credentials` say: the headers that authenticate it (a signature when
 * the provider has one configured, else the shared secret) and, for a provider that signs inside the body, the body to send.
 */
export function signDelivery<P extends ProviderRef>(provider: P, body: string | Buffer | object, credentials: CredentialsFor<P>): SignedDelivery {
  const kit = testKitOf(provider);
  if (!kit?.sign) return { headers: sharedSecretHeaders(credentials) };
  const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return kit.sign(bytes, kitCredentials(provider, credentials), credentials.now?.() ?? Date.now());
}

/** The endpoint options of `provider` that accept `credentials` (its test kit's). */
export function optionsFor<P extends ProviderRef>(provider: P, credentials: CredentialsFor<P>): object | undefined {
  return testKitOf(provider)?.options(kitCredentials(provider, credentials));
}

/** The headers that authenticate `body` to `provider` with `credentials` (`signDelivery`'s headers). */
export function authHeaders<P extends ProviderRef>(provider: P, body: string | Buffer | object, credentials: CredentialsFor<P>): Record<string, string> {
  return { ...signDelivery(provider, body, credentials).headers };
}
