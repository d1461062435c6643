import type { UnprojectedEvent } from '../events';
import type { Admission, Admit, EntryRecord } from '../storage/storage';
import { storageCall } from '../delivery/storage-call';
import type { DeliveryCore } from './core';

/** An event ready for the ledger: normalized, fingerprinted, with the payload to keep (secrets redacted). */
export interface ReadyEvent {
  readonly event: UnprojectedEvent;
  readonly fingerprint: string;
  readonly storedPayload: unknown;
  /** The JSON of `storedPayload` when it is at hand (the body received, when nothing in it was redacted). */
  readonly storedPayloadJson?: string;
  /** Fields of `event` never stored in clear (sealed with the encryption key, or dropped). */
  readonly secretFields: readonly string[];
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
    body: core.codec.encode(event, ready.storedPayload, ready.secretFields, ready.storedPayloadJson),
  };
  const admitNow = () => core.storage.admit(entry, admit);
  return storageCall(core, 'admit', { provider: event.provider, eventId: event.id }, () => (core.initialized() ? admitNow() : core.ready().then(admitNow)));
}
