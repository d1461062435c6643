import type { Ledger } from './ledger/ledger';
import { describeError } from './shared/describe-error';
import type { HealthReport } from './types';

export interface HealthInputs {
  readonly handlers: number;
  readonly closing: boolean;
  /** The runs the worker takes at once (`inbox.concurrency`): the runs are stalled when as many handlers were abandoned. */
  readonly slots: number;
}

/**
 * `health()`: ok when a delivery could be recorded now. The storage's probe (a read where it has none) must
 * pass within `storageTimeoutMs`, and no delivery's storage call may have failed in the last 30 s without a
 * delivery recorded since (a full disk shows only when a commit fails). Nor may this process's handlers have stalled.
 */
export async function checkHealth(ledger: Ledger, inputs: HealthInputs): Promise<HealthReport> {
  const { client } = ledger;
  const { storage } = client;
  const runs = ledger.runs.report(inputs.slots);
  const started = performance.now();
  const probeError = await client.call('health', () => (storage.probe ? storage.probe() : storage.getTokenState('health', 'health')))
    .then(() => undefined, (error: unknown) => describeError(error));
  const failure = client.failures.recent();
  const report: HealthReport['storage'] = {
    ok: probeError === undefined && failure === undefined,
    latencyMs: Math.round(performance.now() - started),
    ...(probeError === undefined ? {} : { error: probeError }),
    ...(failure ? { recentFailure: failure } : {}),
  };
  const { handlers, closing } = inputs;
  return { ok: report.ok && handlers > 0 && !closing && !runs.stalled, storage: report, handlers, closing, runs };
}
