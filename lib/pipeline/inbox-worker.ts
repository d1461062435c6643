import { randomUUID } from 'node:crypto';
import type { EventKey, Storage } from '../storage/storage';
import type { InboxEntry, InboxStorage } from '../storage/inbox';
import { redactText } from '../redact';
import { logger } from '../log';
import type { BackoffOptions } from './inbox-backoff';
import { backoffDelay } from './inbox-backoff';
import type { InboxCodec } from './inbox-codec';
import type { ErrorContext, UnprojectedEvent } from './process-event';
import { withDeadline } from './deadline';
import { startLeaseHeartbeat } from './lease-heartbeat';
import type { RenewalSchedule } from './lease-heartbeat';

const log = logger('inbox');

export interface InboxWorkerOptions {
  readonly storage: Storage & InboxStorage;
  readonly codec: InboxCodec;
  /** Projection → event log → handlers for one event; throws when it must be retried. */
  readonly run: (event: UnprojectedEvent, payload: unknown) => Promise<void>;
  readonly ready: () => Promise<void>;
  readonly reportError: (error: unknown, context: ErrorContext) => void;
  readonly now: () => Date;
  /** How long one worker holds an entry before another may take it; renewed every third of it while the entry runs. */
  readonly leaseMs: number;
  /** Timer of the lease renewals (tests). Default: an unref'd `setInterval`. */
  readonly renewalSchedule?: RenewalSchedule;
  /** Attempts before an entry goes to the dead letters. */
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  /** Entries run at once by this process. */
  readonly concurrency: number;
  /** How often to look for due entries, in ms; `false`: only when `runDue()` is called. */
  readonly pollIntervalMs: number | false;
}

const errorText = (error: unknown) => redactText(String((error as Error)?.message ?? error)).slice(0, 500);

/**
 * Runs inbox entries from storage: leases due entries (one worker per entry, across instances),
 * runs them, and marks them done, failed (due again after a backoff) or dead after `maxAttempts`.
 */
export class InboxWorker {
  private readonly instance = randomUUID();
  private sequence = 0;
  private handled = 0;
  private readonly active = new Set<Promise<void>>();
  private filling: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: InboxWorkerOptions) {}

  /** Start polling (when `pollIntervalMs` is a number) and look for due entries now. */
  start(): void {
    if (this.stopped || this.timer || this.options.pollIntervalMs === false) return;
    this.timer = setInterval(() => this.kick(), this.options.pollIntervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Look for due entries now (an event just arrived here, or one finished). No-op unless started. */
  kick(): void {
    if (this.timer) void this.fill();
  }

  /** Run every entry due now until none is left; answers how many were run. */
  async runDue(): Promise<number> {
    const start = this.handled;
    for (;;) {
      await this.fill();
      if (this.active.size === 0) return this.handled - start;
      await Promise.allSettled([...this.active]);
    }
  }

  /** Stop leasing and wait for running entries, up to `timeoutMs`. Resolves `true` when all settled. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const all = Promise.allSettled([...this.active, this.filling]).then(() => true);
    return withDeadline(all, timeoutMs, () => false);
  }

  private fill(): Promise<void> {
    if (this.filling) {
      this.again = true;
      return this.filling;
    }
    this.filling = this.leaseWhileRoom().finally(() => { this.filling = undefined; });
    return this.filling;
  }

  private async leaseWhileRoom(): Promise<void> {
    do {
      this.again = false;
      while (!this.stopped && this.active.size < this.options.concurrency) {
        const owner = `${this.instance}:${++this.sequence}`;
        const entry = await this.lease(owner);
        if (!entry) break;
        const job: Promise<void> = this.handle(entry, owner).finally(() => {
          this.active.delete(job);
          this.kick();
        });
        this.active.add(job);
      }
    } while (this.again && !this.stopped);
  }

  private async lease(owner: string): Promise<InboxEntry | undefined> {
    try {
      await this.options.ready();
      return await this.options.storage.leaseNext(owner, this.options.leaseMs, this.options.now());
    } catch (error) {
      this.options.reportError(error, { provider: '*' });
      return undefined;
    }
  }

  private async handle(entry: InboxEntry, owner: string): Promise<void> {
    const { storage, now } = this.options;
    const key: EventKey = { provider: entry.provider, id: entry.id };
    this.handled++;
    try {
      let decoded: ReturnType<InboxCodec['decode']>;
      try {
        decoded = this.options.codec.decode(entry.body);
      } catch (error) {
        await storage.markDead(key, owner, `undecodable entry: ${errorText(error)}`, now());
        return;
      }
      const stopRenewal = this.renewLease(key, owner);
      try {
        await this.options.run(decoded.event, decoded.payload);
      } catch (error) {
        stopRenewal();
        await this.failed(entry, owner, error);
        return;
      } finally {
        stopRenewal();
      }
      await storage.markDone(key, owner, now());
      log('%s %s done after %d attempt(s)', key.provider, key.id, entry.attempts);
    } catch (error) {
      // Storage failed: the lease runs out and the entry is leased again.
      this.options.reportError(error, { provider: key.provider, eventId: key.id });
    }
  }

  /** Start renewing `owner`'s lease of `key` (when the storage can); returns `stop`. */
  private renewLease(key: EventKey, owner: string): () => void {
    const { storage, leaseMs, now, renewalSchedule } = this.options;
    if (typeof storage.extendLease !== 'function') return () => undefined;
    return startLeaseHeartbeat({
      leaseMs, label: `inbox entry ${key.provider} ${key.id}`,
      renew: () => storage.extendLease!(key, owner, leaseMs, now()),
      lost: (error) => this.options.reportError(error, { provider: key.provider, eventId: key.id }),
      ...(renewalSchedule ? { schedule: renewalSchedule } : {}),
    });
  }

  private async failed(entry: InboxEntry, owner: string, error: unknown): Promise<void> {
    const key: EventKey = { provider: entry.provider, id: entry.id };
    const reason = errorText((error as Error)?.cause ?? error);
    if (entry.attempts >= this.options.maxAttempts) {
      log('%s %s dead after %d attempts', key.provider, key.id, entry.attempts);
      await this.options.storage.markDead(key, owner, reason, this.options.now());
      return;
    }
    const delay = backoffDelay(entry.attempts, this.options.backoff);
    log('%s %s attempt %d failed; again in %dms', key.provider, key.id, entry.attempts, delay);
    await this.options.storage.markFailed(key, owner, new Date(this.options.now().getTime() + delay), reason);
  }
}
