import { randomUUID } from 'node:crypto';
import type { CybersourcePayload } from '../providers/cybersource';
import type { FirstokenPayload } from '../providers/firstoken';
import type { NiPayload } from '../providers/ni';
import type { TokenExPayload } from '../providers/tokenex';

/** What a built notification says happened. `activation_code` is NI's; `notification` is a non-lifecycle one. */
export type PayloadKind = 'active' | 'suspended' | 'deleted' | 'updated' | 'activation_code' | 'notification';

/** A payload type without its `readonly` marks, for `edit`. */
export type Writable<T> = T extends (...args: never[]) => unknown ? T
  : T extends readonly (infer U)[] ? Writable<U>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;

export interface PayloadOverrides<P> {
  /** The notification id (the dedupe key). Default: a fresh UUID, so every build is a new event. */
  readonly id?: string;
  /** The token it is about. Default: a fixed token per provider, so successive builds move one token's state. */
  readonly tokenRef?: string;
  /** When it happened. Default: now. */
  readonly occurredAt?: Date;
  /** NI: the activation code of an `activation_code` notification. Default `123456`. */
  readonly activationCode?: string;
  /** Change anything else: receives the built payload (a fresh object) and may edit it or return another. */
  readonly edit?: (payload: Writable<P>) => P | void;
}

export interface BuiltPayloads {
  readonly cybersource: CybersourcePayload;
  readonly tokenex: TokenExPayload;
  readonly ni: NiPayload;
  readonly firstoken: FirstokenPayload;
}

export type BuiltinName = keyof BuiltPayloads;

const STATE = { active: 'ACTIVE', suspended: 'SUSPENDED', deleted: 'DELETED' } as const;

function unsupported(provider: string, kind: PayloadKind): never {
  throw new TypeError(`${provider} sends no "${kind}" notification`);
}

/** Cybersource: a `tms.networktoken.*` notification (the current envelope), or a `tms.token.updated` one. */
function cybersource(kind: PayloadKind, o: PayloadOverrides<CybersourcePayload>): CybersourcePayload {
  const id = o.id ?? randomUUID().replace(/-/g, '').toUpperCase();
  const token = o.tokenRef ?? '38F377C4044F251AE063AF598E0A8B67';
  const state = kind === 'active' || kind === 'suspended' || kind === 'deleted' ? STATE[kind] : undefined;
  if (kind === 'activation_code') unsupported('cybersource', kind);
  return {
    eventType: kind === 'notification' ? 'tms.token.updated' : kind === 'active' ? 'tms.networktoken.provisioned' : 'tms.networktoken.updated',
    webhookId: 'e339e8b1-d540-4efd-e053-8d588e0a2de5',
    productId: 'tokenManagement',
    organizationId: 'test_organization',
    eventDate: (o.occurredAt ?? new Date()).toISOString().slice(0, 19),
    transactionTraceId: randomUUID(),
    retryNumber: 0,
    requestType: 'NEW',
    payload: {
      organizationId: 'test_organization',
      data: {
        reason: kind === 'active' ? 'PROVISIONED' : kind === 'updated' ? 'TOKEN_EXPIRY_UPDATED' : 'TOKEN_STATUS_UPDATED',
        id,
        type: kind === 'active' ? 'tokenizedCardEnrollments' : 'tokenizedCardUpdates',
        version: '1.0',
        _links: {
          'tokenized-cards': [{ href: `/tms/v2/tokenized-cards/${token}`, id: token, ...(state ? { state } : {}) }],
          instrumentIdentifiers: [{ href: '/tms/v1/instrumentidentifiers/7030010000056432345', id: '7030010000056432345' }],
        },
      },
    },
  };
}

/** TokenEx: a Token State Change Notification, or (`updated`) a Card Metadata Update Notification. */
function tokenex(kind: PayloadKind, o: PayloadOverrides<TokenExPayload>): TokenExPayload {
  const messageId = o.id ?? randomUUID();
  const tokenReferenceId = o.tokenRef ?? 'b2b92b5b-403d-4bd8-a756-6e415b86b291';
  const envelope = { token: '476120FDallZ7718', referenceNumber: '21082509302518698472', success: 'true' as const, error: '' };
  if (kind === 'updated') {
    return { ...envelope, networkTokenCardUpdateNotification: { messageId, conversationId: randomUUID(), tokenRequestorId: '12345678901', tokenReferenceId } };
  }
  if (kind !== 'active' && kind !== 'suspended' && kind !== 'deleted') unsupported('tokenex', kind);
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

/** Network International: a Token Notification (`TC`, `TD`, `AC`), or another NI webhook type (`notification`). */
function ni(kind: PayloadKind, o: PayloadOverrides<NiPayload>): NiPayload {
  const [card = '52913582186153682368', requestorId = '50110030273'] = (o.tokenRef ?? '').split(':').filter(Boolean);
  const base = { id: o.id ?? randomUUID(), timestamp: (o.occurredAt ?? new Date()).toISOString() };
  const details = {
    card: { id: { type: 'externalCardId', value: decodeURIComponent(card) }, maskedCardNumber: '529135XXXXXX4488', clientId: '1234567', language: 'ENG' },
    token: { requestorId: decodeURIComponent(requestorId), requestorName: 'APPLE PAY', deviceType: '16', tokenEventReasonCode: '' },
  };
  switch (kind) {
    case 'active': return { ...base, type: 'TC', details };
    case 'suspended': return { ...base, type: 'TD', details: { ...details, token: { ...details.token, tokenEventIndicator: '6' } } };
    case 'deleted': return { ...base, type: 'TD', details: { ...details, token: { ...details.token, tokenEventIndicator: '4' } } };
    case 'activation_code': return { ...base, type: 'AC', details: { ...details, token: { ...details.token, activationCode: o.activationCode ?? '123456', activationPref: 'SMS' } } };
    case 'notification': return { ...base, type: 'CardActivation', details: { status: 'activated' } } as unknown as NiPayload;
    default: return unsupported('ni', kind);
  }
}

/** Firstoken: a network token status webhook, in the envelope this package assumes (see docs/providers.md, "Firstoken"). */
function firstoken(kind: PayloadKind, o: PayloadOverrides<FirstokenPayload>): FirstokenPayload {
  if (kind !== 'active' && kind !== 'suspended' && kind !== 'deleted') unsupported('firstoken', kind);
  return {
    event_id: o.id ?? `evt_${randomUUID().replace(/-/g, '')}`,
    status: STATE[kind],
    message: `Network token ${kind}`,
    data: { ft_token: o.tokenRef ?? 'ft_7c9e6679f42a4b1d', reference_code: 'REF-TEST', created_at: (o.occurredAt ?? new Date()).toISOString() },
  };
}

const BUILDERS = { cybersource, tokenex, ni, firstoken } as const;

/**
 * A notification as `provider` sends it, valid against its shipped schema: for your own tests, with overrides
 * for the id, token, time and anything else (`edit`).
 *
 * ```ts
 * const body = buildPayload('tokenex', 'suspended', { tokenRef: 'tok-1' });
 * ```
 */
export function buildPayload<N extends BuiltinName>(provider: N, kind: PayloadKind, overrides: PayloadOverrides<BuiltPayloads[N]> = {}): BuiltPayloads[N] {
  const build = BUILDERS[provider] as unknown as (kind: PayloadKind, o: PayloadOverrides<BuiltPayloads[N]>) => BuiltPayloads[N];
  if (!build) throw new TypeError(`unknown provider "${String(provider)}"`);
  const payload = build(kind, overrides);
  return overrides.edit?.(payload as Writable<BuiltPayloads[N]>) ?? payload;
}
