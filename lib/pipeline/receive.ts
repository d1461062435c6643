import { performance } from 'node:perf_hooks';
import type { DeliveryCore } from './core';
import type { Endpoint } from './endpoint';
import type { DeliveryInput } from './request';
import { runPipeline } from './deliver';
import { acknowledge } from './acknowledge';
import type { Received } from './acknowledge';
import { observed } from './observe-delivery';

/**
 * The transport seam: one request, from any transport, to the answer to write (status, headers, body) and the
 * outcome it says. The pipeline judges the request (`runPipeline`), the provider's format answers it
 * (`acknowledge`), and telemetry says what came of it (`observed`), in a span around all three when tracing.
 */
export function receive(endpoint: Endpoint, core: DeliveryCore, input: DeliveryInput): Promise<Received> {
  const started = performance.now();
  if (!core.telemetry.tracing) {
    return runPipeline(endpoint, core, input).then((outcome) => observed(core, endpoint, started, acknowledge(endpoint, outcome), undefined));
  }
  return core.telemetry.span('ntw.delivery', { 'ntw.provider': endpoint.provider.name },
    (span) => runPipeline(endpoint, core, input).then((outcome) => observed(core, endpoint, started, acknowledge(endpoint, outcome), span)));
}
