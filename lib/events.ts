/** EMVCo token states. `DELETED` is final. */
export type TokenState = 'INACTIVE' | 'ACTIVE' | 'SUSPENDED' | 'DELETED';

export const TOKEN_STATES: readonly TokenState[] = ['INACTIVE', 'ACTIVE', 'SUSPENDED', 'DELETED'];

/** What an event tells the host app. State events carry the state they set. */
export type TokenEventType =
  | 'token.inactive'
  | 'token.active'
  | 'token.suspended'
  | 'token.deleted'
  | 'token.updated'
  | 'token.activation_code'
  | 'notification';

/** What an update changed, when the provider says (Cybersource reasons, TokenEx RPAN_UPDATE, ...). */
export type TokenChange = 'status' | 'expiry' | 'card' | 'metadata' | 'redigitalization' | 'token' | 'pan';

/** Why an event did not change the projected state although it carries a state. */
export type StaleReason = 'out_of_order' | 'after_deleted';

interface TokenEventFields<P extends string, R> {
  /** The provider's notification id: the dedupe key. */
  readonly id: string;
  readonly provider: P;
  /** Stable identity of the token within the provider. */
  readonly tokenRef: string;
  /** The state the provider reports before this event, when it says. */
  readonly previousState?: TokenState;
  /** The provider's own words for why. */
  readonly reason?: string;
  readonly reasonCode?: string;
  /** What the update changed; non-empty on every event that `onUpdated` receives. */
  readonly changes: readonly TokenChange[];
  /** When the provider says it happened. */
  readonly occurredAt: Date;
  /** When it reached this process. */
  readonly receivedAt: Date;
  /** `true` when the event is older than what the token's state already reflects, or would revive a `DELETED` token. */
  readonly stale: boolean;
  readonly staleReason?: StaleReason;
  /**
   * `true` when the event reports the state the token already had (a new notification of the same state):
   * it reaches `onEvent` (and `onUpdated` when it carries changes), not the state handler again.
   */
  readonly repeated: boolean;
  /** The provider payload as received (parsed JSON), typed per provider. */
  readonly raw: R;
}

/** An event that sets a state: its `type` says which, so a `switch (event.type)` narrows `state` too. */
interface StateEventFields<S extends TokenState, P extends string, R> extends TokenEventFields<P, R> {
  readonly type: `token.${Lowercase<S>}`;
  readonly state: S;
}

export interface InactiveEvent<P extends string = string, R = unknown> extends StateEventFields<'INACTIVE', P, R> {}
export interface ActiveEvent<P extends string = string, R = unknown> extends StateEventFields<'ACTIVE', P, R> {}
export interface SuspendedEvent<P extends string = string, R = unknown> extends StateEventFields<'SUSPENDED', P, R> {}
export interface DeletedEvent<P extends string = string, R = unknown> extends StateEventFields<'DELETED', P, R> {}

/** The four state events, discriminated on `type`. */
export type TokenStateEvent<P extends string = string, R = unknown> =
  | InactiveEvent<P, R>
  | ActiveEvent<P, R>
  | SuspendedEvent<P, R>
  | DeletedEvent<P, R>;

export interface TokenUpdatedEvent<P extends string = string, R = unknown> extends TokenEventFields<P, R> {
  readonly type: 'token.updated';
  /** Present when the provider reports the state along with the update. */
  readonly state?: TokenState;
}

export interface TokenActivationCodeEvent<P extends string = string, R = unknown> extends TokenEventFields<P, R> {
  readonly type: 'token.activation_code';
  readonly state?: undefined;
  /** One-time code to pass on to the cardholder. Never logged, never persisted in clear. */
  readonly activationCode?: string;
}

/**
 * A notification that is not a network-token lifecycle event but arrives on the same subscription (a
 * Cybersource `tms.token.*` event or test webhook, an NI notification of another type): acknowledged,
 * recorded, handed to `onEvent` only. `tokenRef` is whatever token or instrument it names, or `''`.
 */
export interface NotificationEvent<P extends string = string, R = unknown> extends TokenEventFields<P, R> {
  readonly type: 'notification';
  readonly state?: undefined;
  /**
   * The provider's own name for it (Cybersource's `eventType`, NI's `type`); `'unknown'` when a provider
   * (one of yours) gives none.
   */
  readonly kind: string;
}

/** The one normalized event shape every handler receives (discriminated on `type`). */
export type TokenEvent<P extends string = string, R = unknown> =
  | TokenStateEvent<P, R>
  | TokenUpdatedEvent<P, R>
  | TokenActivationCodeEvent<P, R>
  | NotificationEvent<P, R>;

/** Any event that carries an update: `token.updated`, or a state event that also updated the token (Cybersource `TOKEN_UPDATED`). */
export type UpdateEvent<P extends string = string, R = unknown> = TokenEvent<P, R> & { readonly changes: readonly [TokenChange, ...TokenChange[]] };

const STATE_EVENT_TYPES: Readonly<Record<string, string>> = {
  ACTIVE: 'token.active', SUSPENDED: 'token.suspended', DELETED: 'token.deleted', INACTIVE: 'token.inactive',
};

/** The event type that sets a state. */
export function stateEventType<S extends TokenState>(state: S): `token.${Lowercase<S>}` {
  return (STATE_EVENT_TYPES[state] ?? `token.${state.toLowerCase()}`) as `token.${Lowercase<S>}`;
}
