export { createTokenWebhooks } from './token-webhooks';
export type {
  TokenWebhooks, TokenWebhooksOptions, InboxOptions, TokenStateView, BuiltinTokenEvent, EventHandler, ErrorHandler,
  ActiveEventOf, SuspendedEventOf, DeletedEventOf, UpdateEventOf,
} from './token-webhooks-types';
export * from './events';
export { WebhookError, ConfigurationError, DELIVERY_ERRORS } from './errors';
export type { DeliveryErrorCode, SchemaIssue } from './errors';
export { defineProvider, jsonAcknowledgement } from './providers/provider';
export type {
  Provider, ProviderOptions, NormalizedFields, JsonSchema, DeliveryRequest, AuthenticateFn, Authenticator,
  DeliveryOutcome, Acknowledgement,
} from './providers/provider';
export { builtinProviders } from './providers/builtin';
export type { CybersourcePayload, CybersourceOptions, CybersourceReason } from './providers/cybersource';
export type { TokenExPayload, TokenExOptions } from './providers/tokenex';
export type { NiPayload, NiOptions, NiNotificationType, NiAuth } from './providers/ni';
export type { FirstokenPayload, FirstokenOptions, FirstokenMapping } from './providers/firstoken';
export type { SharedSecretAuth, BasicCredentials } from './auth/shared-secret';
export { sharedSecretAuthenticator } from './auth/shared-secret';
export { oauthTokenEndpoint } from './auth/oauth-token-endpoint';
export type { OAuthTokenEndpoint, OAuthTokenVerifier } from './auth/oauth-token-endpoint';
export type { OAuthClient, OAuthClientCredentialsOptions } from './auth/client-credentials';
export { MemoryStorage } from './storage/memory';
export { decideProjection } from './storage/projection';
export type * from './storage/storage';
export { isInboxStorage } from './storage/inbox';
export type { InboxStorage, InboxEntry, InboxItem, InboxStatus, InboxListQuery } from './storage/inbox';
export type { WebhookMiddleware } from './pipeline/receive';
export type { EncryptionKey } from './pipeline/secret-box';
export type { ErrorContext } from './pipeline/process-event';
export type { RenewalSchedule } from './pipeline/lease-heartbeat';
export { redactText } from './redact';
