import { buildPayload } from '../testing/payloads';
import type { BuiltinName, PayloadKind } from '../testing/payloads';
import type { TestCredentials } from '../testing/credentials';
import type { SharedCredentials } from '../providers/test-kit';
import { deliver } from '../testing/deliver';
import type { Answer } from '../testing/deliver';
import { whyFetchFailed } from '../auth/token-request';
import { readFileFlag } from './read-file-flag';

export interface SendOptions {
  readonly url: string;
  readonly credentials: TestCredentials;
  /** Credentials to obtain first, once (NI: an access token from its token endpoint). */
  readonly prepare?: () => Promise<SharedCredentials>;
  readonly repeat: number;
  readonly duplicateRate: number;
  readonly concurrency: number;
  readonly file?: string;
  readonly quiet?: boolean;
}

export interface SendSummary {
  readonly sent: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const percentile = (sorted: readonly number[], p: number) => sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/**
 * Send `repeat` well-formed, authenticated notifications of `kind` to a running receiver, `concurrency` at a
 * time; a share `duplicateRate` of them re-sends an earlier one (a provider's retry). Prints each answer (unless
 * `quiet`) through `print`, and answers a summary.
 */
export async function send(provider: BuiltinName, kind: PayloadKind, options: SendOptions, print: (line: string) => void): Promise<SendSummary> {
  const base = new URL(options.url);
  const target = `${base.protocol}//${base.host}`;
  const fixed = options.file === undefined ? undefined : readFileFlag(options.file).toString('utf8');
  const credentials = options.prepare ? { ...options.credentials, ...await options.prepare() } : options.credentials;
  const sentBodies: string[] = [];
  const latencies: number[] = [];
  const byStatus: Record<string, number> = {};
  let next = 0;
  const one = async (index: number) => {
    const duplicate = sentBodies.length > 0 && Math.random() < options.duplicateRate;
    const body = fixed ?? (duplicate ? sentBodies[Math.floor(Math.random() * sentBodies.length)]! : JSON.stringify(buildPayload(provider, kind)));
    if (!duplicate) sentBodies.push(body);
    const started = process.hrtime.bigint();
    let answer: Answer | undefined;
    let failure: string | undefined;
    try {
      answer = await deliver(target, provider, body, { path: `${base.pathname}${base.search}`, credentials });
    } catch (error) {
      failure = whyFetchFailed(error);
    }
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    const status = answer ? String(answer.status) : 'error';
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (!options.quiet) {
      const ack = answer?.acknowledgement;
      print(`#${index + 1} ${status} ${failure ?? (ack?.accepted ? `accepted${ack.duplicate ? ' (duplicate)' : ''}${ack.id ? ` id=${ack.id}` : ''}` : `refused ${ack?.code ?? '(no code)'}`)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, async () => {
    while (next < options.repeat) await one(next++);
  }));
  latencies.sort((a, b) => a - b);
  return { sent: options.repeat, byStatus, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}
