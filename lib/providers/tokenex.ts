import { randomUUID } from 'node:crypto';
import type { TokenState } from '../events';
import { stateEventType } from '../events';
import { loadSchema } from '../schema-files';
import type { NamesOf } from '../option-names';
import type { SharedSecretAuth } from '../auth/shared-secret';
import { SHARED_SECRET_NAMES, sharedSecretAuthenticator } from '../auth/shared-secret';
import type { AuthOption, NormalizedFields, ProviderOptions } from './provider';
import { defineProvider } from './provider';
import type { FieldsBuilt } from './fields';
import type { PayloadKind, PayloadOverrides, ProviderTestKit } from './test-kit';
import { BEARER_FLAG, unsupportedKind } from './test-kit';

/** The fields both TokenEx notifications carry. */
export interface TokenExMessage {
  readonly messageId: string;
  readonly conversationId?: string | null;
  readonly tokenRequestorId?: string | null;
  readonly tokenReferenceId: string;
}

/** A Token State Change Notification, or a Card Metadata Update Notification, as TokenEx sends them. */
export interface TokenExPayload {
  readonly token?: string | null;
  /** A string in the notifications; a boolean in TokenEx's other network-token APIs. */
  readonly success?: 'true' | 'false' | boolean | null;
  readonly referenceNumber?: string | null;
  readonly error?: string | null;
  readonly message?: string | null;
  readonly networkTokenStateChangeNotification?: TokenExMessage & {
    readonly tokenTimestamp: string | number;
    readonly requestReason?: string | null;
    readonly requestReasonCode?: string | null;
    readonly previousTokenState?: TokenState | '' | null;
    readonly currentTokenState: TokenState;
  };
  /** Card metadata (card art, ...) changed. */
  readonly networkTokenCardUpdateNotification?: TokenExMessage;
  /** The same, as TokenEx's own example spells the key (with a leading space). */
  readonly ' networkTokenCardUpdateNotification'?: TokenExMessage;
}

/** TokenEx signs nothing: `auth` is a shared secret (and/or a source-IP allow-list), or `'none'`. */
export type TokenExOptions = ProviderOptions & AuthOption<SharedSecretAuth>;

const cardUpdateOf = (raw: TokenExPayload) => raw.networkTokenCardUpdateNotification ?? raw[' networkTokenCardUpdateNotification'];

function normalize(raw: TokenExPayload): NormalizedFields {
  const n = raw.networkTokenStateChangeNotification;
  if (!n) {
    // Card metadata changed: no state, no time; fetch the card's metadata to learn what.
    const update = cardUpdateOf(raw)!;
    return { type: 'token.updated', tokenRef: update.tokenReferenceId, reason: 'Card metadata updated', changes: ['metadata'] };
  }
  const fields: FieldsBuilt = {
    type: stateEventType(n.currentTokenState),
    state: n.currentTokenState,
    tokenRef: n.tokenReferenceId,
    changes: n.requestReasonCode === 'RPAN_UPDATE' ? ['pan'] : [],
    occurredAt: new Date(Number(n.tokenTimestamp)),
  };
  if (n.previousTokenState) fields.previousState = n.previousTokenState;
  if (n.requestReason) fields.reason = n.requestReason;
  if (n.requestReasonCode) fields.reasonCode = n.requestReasonCode;
  return fields;
}

const STATE = { active: 'ACTIVE', suspended: 'SUSPENDED', deleted: 'DELETED' } as const;

/** A Token State Change Notification, or (`updated`) a Card Metadata Update Notification. */
function payload(kind: PayloadKind, o: PayloadOverrides<TokenExPayload>): TokenExPayload {
  const messageId = o.id ?? randomUUID();
  const tokenReferenceId = o.tokenRef ?? 'b2b92b5b-403d-4bd8-a756-6e415b86b291';
  const envelope = { token: '476120FDallZ7718', referenceNumber: '21082509302518698472', success: 'true' as const, error: '' };
  if (kind === 'updated') {
    return { ...envelope, networkTokenCardUpdateNotification: { messageId, conversationId: randomUUID(), tokenRequestorId: '12345678901', tokenReferenceId } };
  }
  if (kind !== 'active' && kind !== 'suspended' && kind !== 'deleted') unsupportedKind('tokenex', kind);
  return {
    ...envelope,
    networkTokenStateChangeNotification: {
      messageId, conversationId: randomUUID(), tokenRequestorId: '12345678901', tokenReferenceId,
      tokenTimestamp: String((o.occurredAt ?? new Date()).getTime()),
      requestReason: 'Test notification', requestReasonCode: kind === 'active' ? 'ACTIVATED_BY_ISSUER' : kind === 'suspended' ? 'SUSPENDED_BY_ISSUER' : 'DELETED_BY_ISSUER',
      previousTokenState: kind === 'active' ? 'INACTIVE' : 'ACTIVE',
      currentTokenState: STATE[kind],
    },
  };
}

/** TokenEx signs nothing: its deliveries carry a shared secret (the kit's default `sign`). */
const testKit: ProviderTestKit<TokenExPayload, never> = {
  kinds: ['active', 'suspended', 'deleted', 'updated'],
  payload,
  options: ({ bearer, basic }) => (bearer || basic ? { auth: { ...(bearer ? { bearer } : {}), ...(basic ? { basic } : {}) } } : { auth: 'none' }),
  cli: {
    flags: { bearer: BEARER_FLAG('a shared bearer secret') },
    send: { flags: ['bearer'], what: '--bearer <secret>, one of tokenex({ auth: { bearer } })' },
    credentials: (flags) => (flags.bearer !== undefined ? { bearer: flags.bearer } : {}),
    example: { kind: 'active', flags: { bearer: 'demo-bearer-token-change-me' } },
  },
};

export const tokenex = defineProvider<'tokenex', TokenExPayload, TokenExOptions, never>({
  optionNames: { auth: SHARED_SECRET_NAMES } satisfies NamesOf<Omit<TokenExOptions, keyof ProviderOptions>>,
  name: 'tokenex',
  schema: loadSchema('tokenex'),

  authenticator: (options) =>
    options.auth && options.auth !== 'none' ? sharedSecretAuthenticator(options.auth, 'tokenex()') : undefined,

  eventId: (raw) => (raw.networkTokenStateChangeNotification ?? cardUpdateOf(raw)!).messageId,
  normalize,
  testKit,
});
