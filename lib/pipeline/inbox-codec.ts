import type { UnprojectedEvent } from './process-event';
import type { SecretBox } from './secret-box';

interface EncodedEvent {
  readonly event: Omit<UnprojectedEvent, 'raw' | 'occurredAt' | 'receivedAt'> & { readonly occurredAt: string; readonly receivedAt: string };
  /** The redacted payload: what the event log keeps, and what handlers see without an encryption key. */
  readonly payload: unknown;
  /** With an encryption key: the clear payload and activation code, AES-256-GCM sealed. */
  readonly sealed?: string;
}

interface Secrets {
  readonly raw: unknown;
  readonly activationCode?: string;
}

/**
 * The text an inbox entry stores: the normalized event, its redacted payload and, when an
 * encryption key is configured, its secrets sealed. Secrets (an NI activation code) are never
 * stored in clear: without a key, events run from the inbox carry them redacted.
 */
export class InboxCodec {
  constructor(private readonly box?: SecretBox) {}

  encode(event: UnprojectedEvent, storedPayload: unknown): string {
    const { raw, activationCode, ...fields } = event as UnprojectedEvent & { activationCode?: string };
    const secrets: Secrets = { raw, ...(activationCode === undefined ? {} : { activationCode }) };
    const encoded: EncodedEvent = {
      event: { ...fields, occurredAt: event.occurredAt.toISOString(), receivedAt: event.receivedAt.toISOString() },
      payload: storedPayload,
      ...(this.box ? { sealed: this.box.seal(JSON.stringify(secrets)) } : {}),
    };
    return JSON.stringify(encoded);
  }

  /** The event and stored payload back from `encode`'s text. Throws on text it did not write, or secrets it cannot open. */
  decode(body: string): { event: UnprojectedEvent; payload: unknown } {
    const decoded = JSON.parse(body) as EncodedEvent;
    if (!decoded || typeof decoded !== 'object' || !decoded.event || typeof decoded.event.id !== 'string') {
      throw new TypeError('not an inbox event');
    }
    const secrets: Secrets = decoded.sealed !== undefined && this.box
      ? JSON.parse(this.box.open(decoded.sealed)) as Secrets
      : { raw: decoded.payload };
    const event = {
      ...decoded.event,
      occurredAt: new Date(decoded.event.occurredAt),
      receivedAt: new Date(decoded.event.receivedAt),
      ...secrets,
    } as UnprojectedEvent;
    return { event, payload: decoded.payload };
  }
}
