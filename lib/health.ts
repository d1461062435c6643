import type { Storage } from './storage/storage';
import type { StorageFailures } from './delivery/storage-failures';
import { boundedStorageCall } from './delivery/storage-call';
import { describeError } from './delivery/describe-error';
import type { HealthReport } from './types';
import type { RunsReport } from './pipeline/active-runs';

export interface HealthInputs {
  readonly storage: Storage;
  /** Resolves once storage is initialized. */
  readonly ready: () => Promise<void>;
  readonly storageTimeoutMs: number;
  readonly storageFailures: StorageFailures;
  readonly handlers: number;
  readonly closing: boolean;
  /** This process's runs: stalled when its handlers stopped returning. */
  readonly runs: RunsReport;
}

/**
 * `health()`: ok when a delivery could be recorded now. The storage's probe (a read where it has none) must
 * pass within `storageTimeoutMs`, and no delivery's storage call may have failed in the last 30 s without a
 * delivery recorded since (a full disk shows only when a commit fails). Nor may this process's handlers have stalled.
 */
export async function checkHealth(inputs: HealthInputs): Promise<HealthReport> {
  const { storage } = inputs;
  const started = performance.now();
  const probeError = await boundedStorageCall(inputs.storageTimeoutMs, 'health', async () => {
    await inputs.ready();
    if (storage.probe) await storage.probe();
    else await storage.getTokenState('health', 'health');
  }, storage).then(() => undefined, (error: unknown) => describeError(error));
  const failure = inputs.storageFailures.recent();
  const report: HealthReport['storage'] = {
    ok: probeError === undefined && failure === undefined,
    latencyMs: Math.round(performance.now() - started),
    ...(probeError === undefined ? {} : { error: probeError }),
    ...(failure ? { recentFailure: failure } : {}),
  };
  const { handlers, closing, runs } = inputs;
  return { ok: report.ok && handlers > 0 && !closing && !runs.stalled, storage: report, handlers, closing, runs };
}
