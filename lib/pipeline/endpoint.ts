import type { Acknowledgement, Authenticator, DeliveryOutcome, Provider, ProviderOptions } from '../providers/provider';
import { jsonAcknowledgement } from '../providers/provider';
import { cleanJsonText, payloadRedactor } from '../redact';
import type { KnownOfText } from '../redact';
import { checkOptionNames } from '../option-names';
import type { NamesOf } from '../option-names';
import { resolveAuthenticator } from './authenticate';
import type { Logger } from '../log';
import type { Validator } from './validate';
import { compileValidator } from './validate';

const DEFAULT_LIMIT = 64 * 1024;
const DEFAULT_BODY_TIMEOUT = 5000;

/** One provider's endpoint, resolved once at mount: everything `runPipeline` needs besides the shared core. */
export interface Endpoint {
  readonly provider: Provider<string, unknown, ProviderOptions>;
  readonly options: ProviderOptions;
  readonly authenticator: Authenticator | undefined;
  readonly validate: Validator;
  /** Body size limit in bytes (decoded). */
  readonly limit: number;
  /** Longest wait for a body to arrive, in ms. */
  readonly bodyTimeoutMs: number;
  /** Whether the body must be the bytes received (signatures), not a re-serialized parsed body. */
  readonly requireRaw: boolean;
  /** A payload with its secrets, card numbers and emails redacted (the payload itself when it has none): what the ledger keeps. */
  readonly redact: (payload: unknown) => unknown;
  /**
   * Whether `redact` would change nothing in the payload a JSON text parses to, judged on the text alone
   * (`cleanJsonText`; `false` when it cannot tell). Absent for a provider that redacts its payloads its own way.
   */
  readonly cleanText: ((json: string, known?: KnownOfText) => boolean) | undefined;
  readonly acknowledge: (outcome: DeliveryOutcome) => Acknowledgement;
  /** The provider's decryption of a payload that arrives encrypted (`Provider.decrypter`), with the endpoint's keys. */
  readonly decrypt: ((payload: unknown) => unknown) | undefined;
}

function redactorOf(provider: Provider<string, unknown, ProviderOptions>): (payload: unknown) => unknown {
  const generic = payloadRedactor(provider.secretKeys);
  const specific = provider.redactPayload?.bind(provider);
  if (!specific) return generic;
  return (payload) => {
    let narrowed = payload;
    try {
      narrowed = specific(payload);
    } catch {
      // a payload the provider cannot read (quarantined): the generic redaction still applies
    }
    return generic(narrowed);
  };
}

/** The options every provider takes. */
const PROVIDER_OPTION_NAMES = {
  authenticate: true, limit: true, bodyTimeoutMs: true, schema: true, quarantine: true,
} as const satisfies NamesOf<ProviderOptions>;

export function resolveEndpoint<Raw, O extends ProviderOptions>(provider: Provider<string, Raw, O>, options: O, logTo?: Logger): Endpoint {
  if (provider.optionNames) checkOptionNames(`${provider.name}()`, options, { ...PROVIDER_OPTION_NAMES, ...provider.optionNames });
  const authenticator = resolveAuthenticator(provider as Provider<string, never, O>, options, logTo);
  return {
    provider: provider as unknown as Provider<string, unknown, ProviderOptions>,
    options,
    authenticator,
    validate: compileValidator(options.schema ?? provider.schema),
    limit: options.limit ?? DEFAULT_LIMIT,
    bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT,
    requireRaw: authenticator?.requiresRawBody ?? false,
    redact: redactorOf(provider as unknown as Provider<string, unknown, ProviderOptions>),
    cleanText: provider.redactPayload ? undefined : cleanJsonText(provider.secretKeys),
    acknowledge: provider.acknowledge ? (outcome) => provider.acknowledge!(outcome, options) : jsonAcknowledgement,
    decrypt: provider.decrypter?.(options),
  };
}
