import { WebhookError } from '../errors';
import { accept } from '../ledger/accept';
import { closeUnreadable, findUnreadable } from '../ledger/record';
import { replayEntries } from '../ledger/replay';
import type { DeliveryCore } from './core';
import type { Endpoint } from './endpoint';
import type { NormalizedEvent } from '../ledger/record';
import { eventsOf, isSeveral } from './events-of';
import { QUARANTINE_PREFIX } from './quarantine';

/**
 * `replay()`: a quarantined delivery (`quarantine:…`) through its provider's endpoint as it is mounted now; any other
 * event from the ledger (failed, dead or done), run again. Answers how many were replayed.
 */
export async function replay(core: DeliveryCore, endpoints: ReadonlyMap<string, Endpoint>, eventId: string, provider?: string): Promise<number> {
  if (!eventId.startsWith(QUARANTINE_PREFIX)) return replayEntries(core.ledger, eventId, provider);
  let replayed = 0;
  for (const [name, endpoint] of endpoints) {
    if (provider !== undefined && name !== provider) continue;
    if (await replayQuarantined(endpoint, core, eventId)) replayed++;
  }
  return replayed;
}

/**
 * Replay a quarantined delivery through the endpoint as it is configured now (a fixed schema or mapping): its
 * payload is validated and normalized again and, when it reads, each of its events recorded and run as a new delivery's would be;
 * the quarantined entry is then closed (`done`). It was authenticated when it arrived. Answers whether it ran.
 */
async function replayQuarantined(endpoint: Endpoint, core: DeliveryCore, eventId: string): Promise<boolean> {
  const { ledger } = core;
  const key = { provider: endpoint.provider.name, id: eventId };
  const found = await findUnreadable(ledger, key);
  if (!found || endpoint.validate(found.payload)) return false;
  const { payload } = found;
  let events: readonly NormalizedEvent[];
  try {
    const read = eventsOf(endpoint, core, payload, Buffer.from(JSON.stringify(payload)), core.now(), undefined);
    events = isSeveral(read) ? read.several : [read];
  } catch (error) {
    if (error instanceof WebhookError) return false;
    throw error;
  }
  // As a delivery's run: one at a time per event in this process, and waited for by close().
  for (const normalized of events) {
    await ledger.dedupe.once({ provider: normalized.event.provider, id: normalized.event.id }, normalized.fingerprint, core.deadlineMs, () => accept(ledger, normalized));
  }
  await closeUnreadable(ledger, key);
  return true;
}
