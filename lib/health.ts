import type { Storage } from './storage/storage';
import type { StorageFailures } from './delivery/storage-failures';
import { boundedStorageCall } from './delivery/storage-call';
import { describeError } from './delivery/describe-error';
import type { HealthReport } from './types';

export interface HealthInputs {
  readonly storage: Storage;
  /** Resolves once storage is initialized. */
  readonly ready: () => Promise<void>;
  readonly storageTimeoutMs: number;
  readonly storageFailures: StorageFailures;
  readonly handlers: number;
  readonly closing: boolean;
}

/**
 * `health()`: ok when a delivery could be recorded now. The storage's probe (a read where it has none) must
 * pass within `storageTimeoutMs`, and no delivery's storage call may have failed in the last 30 s without a
 * delivery recorded since (a full disk shows only when a commit fails).
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
  return { ok: report.ok && inputs.handlers > 0 && !inputs.closing, storage: report, handlers: inputs.handlers, closing: inputs.closing };
}
