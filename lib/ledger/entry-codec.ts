import type { UnprojectedEvent } from './event-for-handlers';
import type { SecretBox } from './secret-box';
import { extensibleCopy } from '../shared/copy';

interface EncodedEvent {
  readonly event: Record<string, unknown> & { readonly id: string; readonly occurredAt: string; readonly receivedAt: string };
  /** The redacted payload: what listings show, and what handlers see without an encryption key. */
  readonly payload: unknown;
  /** With an encryption key: the clear payload and the secret event fields, AES-256-GCM sealed. */
  readonly sealed?: string;
}

/**
 * The text a ledger entry keeps: the normalized event, its redacted payload and, when an encryption
 * key is configured, its secrets sealed. Secrets (the fields a provider declares secret, such as an NI
 * activation code) are never stored in clear: without a key, an event run from storage lacks them.
 */
export class EntryCodec {
  constructor(private readonly box?: SecretBox) {}

  /** `storedPayloadJson`, when given, is the JSON of `storedPayload`: kept as it is rather than serialized again. */
  encode(event: UnprojectedEvent, storedPayload: unknown, secretFields: readonly string[], storedPayloadJson?: string): string {
    // One copy of the event, its dates as text; a field set to `undefined` is left out of the JSON (`raw`, secrets).
    const encodedEvent: Record<string, unknown> = { ...event, raw: undefined, occurredAt: event.occurredAt.toISOString(), receivedAt: event.receivedAt.toISOString() };
    const secrets: Record<string, unknown> | undefined = this.box ? { raw: event.raw } : undefined;
    for (const name of secretFields) {
      if (!(name in event)) continue;
      if (secrets) secrets[name] = (event as unknown as Record<string, unknown>)[name];
      encodedEvent[name] = undefined;
    }
    const sealed = secrets && this.box ? { sealed: this.box.seal(JSON.stringify(secrets)) } : undefined;
    if (storedPayloadJson === undefined) return JSON.stringify({ event: encodedEvent, payload: storedPayload, ...sealed });
    const rest = sealed ? `,${JSON.stringify(sealed).slice(1, -1)}` : '';
    return `{"event":${JSON.stringify(encodedEvent)},"payload":${storedPayloadJson}${rest}}`;
  }

  /** The event back from `encode`'s text; `raw` is the redacted payload unless a key opens the sealed one. */
  decode(body: string): UnprojectedEvent {
    const decoded = JSON.parse(body) as EncodedEvent;
    if (!decoded || typeof decoded !== 'object' || !decoded.event || typeof decoded.event.id !== 'string') {
      throw new TypeError('not a ledger entry body');
    }
    const secrets = decoded.sealed !== undefined && this.box
      ? JSON.parse(this.box.open(decoded.sealed)) as Record<string, unknown>
      : { raw: decoded.payload };
    const event = extensibleCopy(decoded.event) as Record<string, unknown>;
    event.occurredAt = new Date(decoded.event.occurredAt);
    event.receivedAt = new Date(decoded.event.receivedAt);
    for (const name of Object.keys(secrets)) if (name !== '__proto__') event[name] = secrets[name];
    return event as unknown as UnprojectedEvent;
  }

  /** The text of a quarantined delivery: no event, its redacted payload, and the clear one sealed when a key is set. */
  encodeUnreadable(payload: unknown, storedPayload: unknown): string {
    return JSON.stringify({ payload: storedPayload, ...(this.box ? { sealed: this.box.seal(JSON.stringify({ raw: payload })) } : {}) });
  }

  /** A quarantined delivery's payload as received when a key opens it, else as stored (redacted). */
  decodeUnreadable(body: string): unknown {
    const decoded = JSON.parse(body) as { payload: unknown; sealed?: string };
    return decoded.sealed !== undefined && this.box ? (JSON.parse(this.box.open(decoded.sealed)) as { raw: unknown }).raw : decoded.payload;
  }

  /** The redacted payload stored with an entry. */
  payload(body: string): unknown {
    return (JSON.parse(body) as EncodedEvent).payload;
  }
}
