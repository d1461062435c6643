/**
 * `network-token-webhooks/testing`: build notifications as each provider sends them, sign them, deliver them
 * to your app (over HTTP or without it) and read the answers — in your own tests, with any test framework.
 * Each provider's test kit (`Provider.testKit`) does the provider's part; a provider of yours with a kit is
 * signed and read the same way.
 *
 * @module network-token-webhooks/testing
 */
export { buildPayload } from './payloads';
export type { BuiltPayloads, BuiltinName, PayloadKind, PayloadOverrides, ProviderRef, Writable } from './payloads';
export { authHeaders, cybersourceSignature, firstokenSignature, signDelivery } from './credentials';
export type { CredentialsFor, TestCredentials } from './credentials';
export { deliver, niAccessToken, receive } from './deliver';
export type { Answer, DeliverOptions, Target } from './deliver';
export { readJsonAcknowledgement, sharedSecretHeaders } from '../providers/test-kit';
export type { AcknowledgementReading, SignedDelivery } from '../providers/test-kit';
