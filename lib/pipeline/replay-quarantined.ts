import { WebhookError } from '../errors';
import type { Entry } from '../storage/storage';
import { storageCall } from '../delivery/storage-call';
import type { DeliveryCore } from './core';
import type { Endpoint } from './endpoint';
import type { ReadyEvent } from './record';
import { eventsOf, isSeveral } from './events-of';
import { accept } from './deliver';

/**
 * Replay a quarantined delivery through the endpoint as it is configured now (a fixed schema or mapping): its
 * payload is validated and normalized again and, when it reads, each of its events recorded and run as a new delivery's would be;
 * the quarantined entry is then closed (`done`). It was authenticated when it arrived. Answers whether it ran.
 */
export async function replayQuarantined(endpoint: Endpoint, core: DeliveryCore, entry: Entry): Promise<boolean> {
  const payload = core.codec.decodeUnreadable(entry.body);
  if (endpoint.validate(payload)) return false;
  let events: readonly ReadyEvent[];
  try {
    const read = eventsOf(endpoint, core, payload, Buffer.from(JSON.stringify(payload)), core.now(), undefined);
    events = isSeveral(read) ? read.several : [read];
  } catch (error) {
    if (error instanceof WebhookError) return false;
    throw error;
  }
  // As a delivery's run: one at a time per event in this process, and waited for by close().
  for (const ready of events) {
    await core.dedupe.once({ provider: ready.event.provider, id: ready.event.id }, ready.fingerprint, core.deadlineMs, () => accept(core, ready));
  }
  const key = { provider: entry.provider, id: entry.id };
  await storageCall(core, 'settle', { provider: key.provider, eventId: key.id }, () => core.storage.settle(key, '', { status: 'done' }));
  return true;
}
