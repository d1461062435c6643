/**
 * `network-token-webhooks/testing`: build notifications as each provider sends them, sign them, deliver them
 * to your app (over HTTP or without it) and read the answers — in your own tests, with any test framework.
 *
 * @module network-token-webhooks/testing
 */
export { buildPayload } from './payloads';
export type { BuiltPayloads, BuiltinName, PayloadKind, PayloadOverrides, Writable } from './payloads';
export { authHeaders, cybersourceSignature, firstokenSignature } from './credentials';
export type { TestCredentials } from './credentials';
export { deliver, niAccessToken, receive } from './deliver';
export type { Answer, DeliverOptions, Target } from './deliver';
