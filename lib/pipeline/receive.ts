import type { DeliveryCore } from './core';
import type { Endpoint } from './endpoint';
import type { DeliveryInput } from './request';
import { runPipeline } from './deliver';
import { acknowledge } from './acknowledge';
import type { Received } from './observe-delivery';
import { observeDelivery } from './observe-delivery';

export type { Received } from './observe-delivery';

/**
 * The transport seam: one request, from any transport, to the answer to write (status, headers, body) and the
 * outcome it says. The pipeline judges the request (`runPipeline`) and the provider's format answers it
 * (`acknowledge`); telemetry watches around both.
 */
export function receive(endpoint: Endpoint, core: DeliveryCore, input: DeliveryInput): Promise<Received> {
  return observeDelivery(core, endpoint, () => runPipeline(endpoint, core, input), (outcome) => acknowledge(endpoint, outcome));
}
