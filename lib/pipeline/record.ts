import type { UnprojectedEvent } from '../events';
import type { Admission, Admit, EntryRecord } from '../storage/storage';
import { storageCall } from '../delivery/storage-call';
import type { DeliveryCore } from './core';

export interface StoredPayload {
  readonly payload: unknown;
  /** The JSON of `payload` when it is at hand (the body received, when nothing in it was redacted). */
  readonly json?: string;
}

/** An event ready for the ledger: normalized, fingerprinted, with the payload to keep (secrets redacted). */
export interface ReadyEvent {
  readonly event: UnprojectedEvent;
  readonly fingerprint: string;
  /** The payload to keep, redacted when first asked: a duplicate answered before anything is recorded never needs it. */
  readonly stored: () => StoredPayload;
  /** Fields of `event` never stored in clear (sealed with the encryption key, or dropped). */
  readonly secretFields: readonly string[];
}

function encodedBody(core: DeliveryCore, ready: ReadyEvent): string {
  const stored = ready.stored();
  return core.codec.encode(ready.event, stored.payload, ready.secretFields, stored.json);
}

/** Record the event in the ledger, as `admit` says: taken to run now, queued, or quarantined. One storage call. */
export function record(core: DeliveryCore, ready: ReadyEvent, admit: Admit): Promise<Admission> {
  const { event } = ready;
  const entry: EntryRecord = {
    provider: event.provider,
    id: event.id,
    type: event.type,
    tokenRef: event.tokenRef,
    ...(event.state ? { state: event.state } : {}),
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    fingerprint: ready.fingerprint,
    body: encodedBody(core, ready),
  };
  const admitNow = () => core.storage.admit(entry, admit);
  return storageCall(core, 'admit', { provider: event.provider, eventId: event.id }, () => (core.initialized() ? admitNow() : core.ready().then(admitNow)));
}
