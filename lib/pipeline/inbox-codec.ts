import type { UnprojectedEvent } from './process-event';

interface EncodedEvent {
  readonly event: Omit<UnprojectedEvent, 'raw' | 'occurredAt' | 'receivedAt'> & { readonly occurredAt: string; readonly receivedAt: string };
  readonly payload: unknown;
}

/**
 * The text an inbox entry stores: the normalized event with the redacted payload in place of `raw`.
 * Secrets (an NI activation code) are not stored in clear, so events run from the inbox carry them redacted.
 */
export function encodeInboxEvent(event: UnprojectedEvent, storedPayload: unknown): string {
  const { raw: _raw, activationCode: _code, ...fields } = event as UnprojectedEvent & { activationCode?: string };
  const encoded: EncodedEvent = {
    event: { ...fields, occurredAt: event.occurredAt.toISOString(), receivedAt: event.receivedAt.toISOString() },
    payload: storedPayload,
  };
  return JSON.stringify(encoded);
}

/** The event and stored payload back from `encodeInboxEvent`'s text. Throws on text it did not write. */
export function decodeInboxEvent(body: string): { event: UnprojectedEvent; payload: unknown } {
  const decoded = JSON.parse(body) as EncodedEvent;
  if (!decoded || typeof decoded !== 'object' || !decoded.event || typeof decoded.event.id !== 'string') {
    throw new TypeError('not an inbox event');
  }
  const event = {
    ...decoded.event,
    occurredAt: new Date(decoded.event.occurredAt),
    receivedAt: new Date(decoded.event.receivedAt),
    raw: decoded.payload,
  } as UnprojectedEvent;
  return { event, payload: decoded.payload };
}
