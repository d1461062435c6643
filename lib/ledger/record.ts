import type { UnprojectedEvent } from './event-for-handlers';
import type { Admission, Admit, EntryRecord, EventKey } from '../storage/storage';
import type { Ledger } from './ledger';
import { settle } from './settle';

export interface StoredPayload {
  readonly payload: unknown;
  /** The JSON of `payload` when it is at hand (the body received, when nothing in it was redacted). */
  readonly json?: string;
}

/** A delivery's event, normalized for the ledger: fingerprinted, with the payload to keep (secrets redacted). */
export interface NormalizedEvent {
  readonly event: UnprojectedEvent;
  readonly fingerprint: string;
  /** The payload to keep, redacted when first asked: a duplicate answered before anything is recorded never needs it. */
  stored(): StoredPayload;
  /** Fields of `event` never stored in clear (sealed with the encryption key, or dropped). */
  readonly secretFields: readonly string[];
}

function encodedBody(ledger: Ledger, normalized: NormalizedEvent): string {
  const stored = normalized.stored();
  return ledger.codec.encode(normalized.event, stored.payload, normalized.secretFields, stored.json);
}

/** Record the event in the ledger, as `admit` says: taken to run now, or queued. One storage call, answered at once by an in-process store. */
export function record(ledger: Ledger, normalized: NormalizedEvent, admit: Admit): Admission | Promise<Admission> {
  const { event, fingerprint } = normalized;
  const { provider, id, type, tokenRef, state, occurredAt, receivedAt } = event;
  const body = encodedBody(ledger, normalized);
  // Two literals, not a spread of `{ state }` into one: V8 builds a literal holding a spread through a slow path.
  const entry: EntryRecord = state
    ? { provider, id, type, tokenRef, state, occurredAt, receivedAt, fingerprint, body }
    : { provider, id, type, tokenRef, occurredAt, receivedAt, fingerprint, body };
  const { client } = ledger;
  return client.callNow('admit', () => client.storage.admit(entry, admit), { provider, eventId: id });
}

/** Record a delivery that cannot be read, under its content id, as quarantined with `reason`. One storage call. */
export function recordUnreadable(ledger: Ledger, unreadable: {
  readonly provider: string; readonly id: string; readonly payload: unknown; readonly redacted: unknown; readonly receivedAt: Date; readonly reason: string;
}): Promise<Admission> {
  const { provider, id, receivedAt } = unreadable;
  const { client } = ledger;
  return client.call('admit', () => client.storage.admit({
    provider, id, type: 'unreadable', tokenRef: '', occurredAt: receivedAt, receivedAt, fingerprint: id,
    body: ledger.codec.encodeUnreadable(unreadable.payload, unreadable.redacted),
  }, { as: 'quarantined', error: unreadable.reason }), { provider, eventId: id });
}

/** The delivery quarantined as `key`, with its payload (as received when a key opens it, else as stored), if it still is. */
export async function findUnreadable(ledger: Ledger, key: EventKey): Promise<{ readonly payload: unknown } | undefined> {
  const { client } = ledger;
  const entry = await client.call('getEntry', () => client.storage.getEntry(key));
  return entry?.status === 'quarantined' ? { payload: ledger.codec.decodeUnreadable(entry.body) } : undefined;
}

/** A quarantined delivery replayed as the event it now reads as: its entry is closed (`done`). */
export function closeUnreadable(ledger: Ledger, key: EventKey): Promise<boolean> {
  const { client } = ledger;
  return settle(client, key, '', { status: 'done' }, { provider: key.provider, eventId: key.id });
}
