/**
 * `network-token-webhooks`: `createTokenWebhooks()`, the providers, the event types, the errors and the
 * `Storage` interface, with the in-memory store.
 *
 * @module network-token-webhooks
 */
export { createTokenWebhooks } from './create-token-webhooks';
export type {
  TokenWebhooks, InboxTokenWebhooks, TokenWebhooksOptions, InboxOptions, DeliveryMode, TokenStateView, StoredEvent, EventQuery,
  BuiltinTokenEvent, EventHandler, HandlerContext, ErrorHandler, ErrorContext, Receiver, ReadyOptions, HealthReport,
  ActiveEventOf, SuspendedEventOf, DeletedEventOf, UpdateEventOf, NtwError, ReceiverErrorContext, HandlerErrorContext,
  OptionsArgument,
} from './types';
export { TOKEN_STATES, stateEventType } from './events';
export type {
  TokenEvent, TokenState, TokenEventType, TokenChange, StaleReason, TokenStateEvent, InactiveEvent, ActiveEvent, SuspendedEvent, DeletedEvent,
  TokenUpdatedEvent, UpdateEvent, TokenActivationCodeEvent, NotificationEvent,
} from './events';
export { WebhookError, ConfigurationError, ReportedError, StorageError, DELIVERY_ERRORS } from './errors';
export { isNtwError } from './ntw-error';
export type { DeliveryErrorCode, SchemaIssue } from './errors';
export { defineProvider, jsonAcknowledgement } from './providers/provider';
export type {
  Provider, ProviderOptions, NormalizedFields, NormalizeContext, JsonSchema, DeliveryRequest, AuthenticateFn, Authenticator,
  DeliveryOutcome, EventOutcome, Acknowledgement, AuthOption, RawOf, OptionsOf, SecretOf,
} from './providers/provider';
export type {
  ProviderTestKit, ProviderCli, CliFlag, CliFlags, CliTakes, KitCredentials, SharedCredentials, SignedDelivery, AcknowledgementReading,
  PayloadKind, PayloadOverrides, Writable,
} from './providers/test-kit';
export type { Verified, ClientCertificate } from './auth/authenticator';
export type { OptionNames } from './option-names';
export { builtinProviders } from './providers/builtin';
// The registry's types: BuiltinProviders, BuiltinProviderName, and each built-in provider's public types, which
// builtin.ts lists by name, provider by provider (so that adding a provider leaves this file alone; no `export *` there:
// test/package/public-surface.test.ts).
export type * from './providers/builtin';
export { niTokenEndpoint } from './providers/ni';
export type { SharedSecretAuth, SharedSecretExtras, BasicCredentials } from './auth/shared-secret';
export type { ReferenceKey } from './pipeline/card-reference';
export { sharedSecretAuthenticator } from './auth/shared-secret';
export { oauthTokenEndpoint } from './auth/oauth-token-endpoint';
export type { OAuthTokenEndpoint, OAuthTokenVerifier } from './auth/oauth-token-endpoint';
export type { OAuthClient, OAuthClientCredentialsOptions } from './auth/client-credentials';
export type { ThrottleOptions } from './auth/failure-throttle';
export type { ThrottleStore, ThrottleCount } from './auth/throttle-store';
export { MemoryStorage } from './storage/memory';
export type { MemoryStorageOptions } from './storage/memory';
export { decideProjection } from './storage/kit/projection';
export type { ProjectionDecision } from './storage/kit/projection';
export type {
  Storage, Awaitable, EventKey, EntryStatus, RequeueableStatus, EntryRecord, Entry, TokenStateRecord, StateChange, Admit, Admission, Settlement,
  EntryQuery, EntryCursor, StatsQuery, ReceivedCount, StatusCount, TokenStateCount, LedgerStats, PruneResult, ProjectionOutcome,
  Attempt, AttemptOutcome, EntryCopy, EntryHistory, RefusalMinute, OwnedSettlement,
} from './storage/storage';
export type { WebhookMiddleware } from './transport/node/middleware';
export type { ConsoleMiddleware } from './console/console';
export type { ConsoleOptions, ConsoleAccessOptions, ConsoleSettingsOptions, ConsoleAuthorize } from './console/options';
export type { DeliveryInput } from './pipeline/request';
export type { DeliveryResponse } from './pipeline/acknowledge';
export type { EncryptionKey } from './ledger/secret-box';
export type { RenewalSchedule } from './ledger/lease-heartbeat';
export type { RunsReport } from './ledger/active-runs';
export { redactText, isCardNumber } from './redact';
export type { TelemetryOptions } from './telemetry/telemetry';
export type { Logger, LogMethod, LogRecord, LogFields } from './log';
export type { ReplayManyQuery, ReplayManyStatus } from './ledger/replay-many';
export type { Refusal, RefusalHandler } from './telemetry/refusal';

// The transport seam: the request any adapter hands the pipeline, the fetch handler's types, the Express mounters.
export type { RequestHeaders, BodyStream } from './pipeline/request';
export type { FetchHandler, FetchClient } from './transport/fetch';
export type { Mounters } from './transport/node/mounters';
