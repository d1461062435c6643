import type { TokenState } from '../events';
import { stateEventType } from '../events';
import { loadSchema } from '../schema-files';
import type { SharedSecretAuth } from '../auth/shared-secret';
import { sharedSecretAuthenticator } from '../auth/shared-secret';
import type { ProviderOptions } from './provider';
import { defineProvider } from './provider';

/** A Token State Change Notification as TokenEx sends it. */
export interface TokenExPayload {
  readonly token?: string;
  readonly success?: 'true' | 'false';
  readonly referenceNumber?: string;
  readonly error?: string;
  readonly message?: string;
  readonly networkTokenStateChangeNotification: {
    readonly messageId: string;
    readonly conversationId?: string;
    readonly tokenRequestorId?: string;
    readonly tokenReferenceId: string;
    readonly tokenTimestamp: string;
    readonly requestReason?: string;
    readonly requestReasonCode?: string;
    readonly previousTokenState?: TokenState | '';
    readonly currentTokenState: TokenState;
  };
}

export type TokenExOptions = ProviderOptions & {
  /** TokenEx signs nothing: give it a shared secret (and/or a source-IP allow-list), or `'none'`. */
  readonly auth?: SharedSecretAuth | 'none';
};

export const tokenex = defineProvider<'tokenex', TokenExPayload, TokenExOptions>({
  name: 'tokenex',
  schema: loadSchema('tokenex'),

  authenticator: (options) =>
    options.auth && options.auth !== 'none' ? sharedSecretAuthenticator(options.auth, 'tokenex()') : undefined,

  eventId: (raw) => raw.networkTokenStateChangeNotification.messageId,

  normalize(raw) {
    const n = raw.networkTokenStateChangeNotification;
    return {
      type: stateEventType(n.currentTokenState),
      state: n.currentTokenState,
      ...(n.previousTokenState ? { previousState: n.previousTokenState } : {}),
      tokenRef: n.tokenReferenceId,
      ...(n.requestReason ? { reason: n.requestReason } : {}),
      ...(n.requestReasonCode ? { reasonCode: n.requestReasonCode } : {}),
      changes: n.requestReasonCode === 'RPAN_UPDATE' ? ['pan'] : [],
      occurredAt: new Date(Number(n.tokenTimestamp)),
    };
  },
});
