import type { TokenChange, TokenState } from '../events';
import { stateEventType } from '../events';
import { ConfigurationError } from '../errors';
import { loadSchema } from '../schema-files';
import type { NormalizedFields, ProviderOptions } from './provider';
import { defineProvider } from './provider';
import type { CybersourceSignatureOptions } from './cybersource-signature';
import { cybersourceSignatureAuthenticator } from './cybersource-signature';
import { parseProviderTime } from './time';

export type CybersourceReason =
  | 'PROVISIONED' | 'TOKEN_STATUS_UPDATED' | 'TOKEN_UPDATED' | 'CARD_UPDATED'
  | 'TOKEN_EXPIRY_UPDATED' | 'METADATA_UPDATED' | 'REDIGITALIZATION' | 'REDIGITILIZATION';

export interface CybersourceLink {
  readonly href?: string;
  readonly id: string;
  readonly state?: TokenState;
}

/** A `tms.networktoken.*` notification as Cybersource sends it. */
export interface CybersourcePayload {
  readonly eventType: 'tms.networktoken.provisioned' | 'tms.networktoken.updated' | 'tms.networktoken.binding';
  readonly webhookId?: string;
  readonly productId?: string;
  readonly organizationId?: string;
  readonly eventDate: string;
  readonly transactionTraceId?: string;
  readonly retryNumber?: number;
  readonly requestType?: string;
  readonly payload: {
    readonly organizationId?: string;
    readonly data: {
      readonly reason: CybersourceReason;
      readonly id: string;
      readonly type?: string;
      readonly version?: string;
      readonly _links: {
        readonly 'tokenized-cards': readonly [CybersourceLink, ...CybersourceLink[]];
        readonly instrumentIdentifiers?: readonly { readonly href?: string; readonly id?: string }[];
      };
    };
  };
}

export type CybersourceOptions = ProviderOptions & Partial<CybersourceSignatureOptions> & {
  /** `'none'` accepts unsigned deliveries (logs a warning at start-up). Only for local testing. */
  readonly auth?: 'none';
};

/** What each reason changed. `TOKEN_UPDATED` is a status and expiry change together. */
const CHANGES: Record<CybersourceReason, readonly TokenChange[]> = {
  PROVISIONED: [],
  TOKEN_STATUS_UPDATED: [],
  TOKEN_UPDATED: ['status', 'expiry'],
  CARD_UPDATED: ['card'],
  TOKEN_EXPIRY_UPDATED: ['expiry'],
  METADATA_UPDATED: ['metadata'],
  REDIGITALIZATION: ['redigitalization'],
  REDIGITILIZATION: ['redigitalization'],
};

/** Reasons whose link state is the token's new state: they fire the state handler. */
const STATE_REASONS: ReadonlySet<CybersourceReason> = new Set(['PROVISIONED', 'TOKEN_STATUS_UPDATED', 'TOKEN_UPDATED']);

export const cybersource = defineProvider<'cybersource', CybersourcePayload, CybersourceOptions>({
  name: 'cybersource',
  schema: loadSchema('cybersource'),
  healthCheck: true,

  authenticator(options) {
    if (options.keys === undefined) {
      throw new ConfigurationError('ERR_NTW_CYBERSOURCE_KEY',
        "cybersource() needs keys: { [keyId]: base64Key } to verify v-c-signature (or auth: 'none' for local testing)");
    }
    return cybersourceSignatureAuthenticator(options as CybersourceSignatureOptions);
  },

  eventId: (raw) => raw.payload.data.id,

  normalize(raw): NormalizedFields {
    const { data } = raw.payload;
    const card = data._links['tokenized-cards'][0];
    const state = card.state ?? (data.reason === 'PROVISIONED' ? 'ACTIVE' : undefined);
    const common = {
      tokenRef: card.id,
      reason: data.reason,
      occurredAt: parseProviderTime(raw.eventDate),
      changes: CHANGES[data.reason],
    };
    if (state && STATE_REASONS.has(data.reason)) return { ...common, type: stateEventType(state), state };
    // A status update that does not say the new status is still an update: fetch the token to learn it.
    const changes = data.reason === 'TOKEN_STATUS_UPDATED' ? (['status'] as const) : common.changes;
    return { ...common, type: 'token.updated', changes, ...(state ? { state } : {}) };
  },
});
