import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { ConfigurationError } from '../errors';
import { logger, loggerOf } from '../log';

const log = logger('storage:redis');

/**
 * Whether a `maxmemory-policy` may evict the ledger's keys. They carry no TTL, so `noeviction` and the
 * `volatile-*` policies (which evict only keys with one) never touch them; the `allkeys-*` policies may, and so
 * may a policy this version does not know.
 */
export function evictionRisk(policy: string): boolean {
  return policy !== 'noeviction' && !policy.startsWith('volatile-');
}

/** How a server's policy is read: `CONFIG GET`, or `INFO memory` where CONFIG is disabled (managed services). */
type Source = 'config' | 'info';

function policyIn(source: Source, reply: unknown): string | undefined {
  if (source === 'config') {
    const value = Array.isArray(reply) ? reply[1] : undefined;
    return typeof value === 'string' && value !== '' ? value : undefined;
  }
  return /^maxmemory_policy:(\S+)/m.exec(String(reply))?.[1];
}

/** The server answered, with an error (a disabled or forbidden command): not a broken connection. */
const refused = (error: unknown) => error instanceof Error && error.name === 'ReplyError';

/** A node and how error messages name it. */
interface Node {
  readonly node: Redis;
  readonly where: string;
}

/**
 * Refuses a Redis whose `maxmemory-policy` may evict the ledger's keys: an evicted entry makes its event run
 * again, an evicted token state lets a DELETED token come back, and Redis says nothing of either.
 * `allowEviction` accepts that.
 */
export class EvictionGuard {
  /** How the policy was read at start-up; `undefined` when nothing answered (then it is not checked). */
  private source: Source | undefined;

  /** `owner`: the storage whose logger (`attachLogger`) hears what is not checked, or accepted. */
  constructor(private readonly allowEviction: boolean, private readonly owner: object = {}) {}

  /** At start-up: read each server's policy (every master of a cluster) and refuse one that may evict. */
  async check(client: Redis | Cluster, where: string): Promise<void> {
    const servers = nodes(client, where);
    if (servers.length === 0) log.warn({}, `${where}: no master known yet: maxmemory-policy not checked`, loggerOf(this.owner));
    for (const { node, where: at } of servers) {
      const policy = await this.read(node);
      if (policy === undefined) log.warn({}, `${at}: its maxmemory-policy could not be read (CONFIG GET and INFO memory refused): not checked`, loggerOf(this.owner));
      else this.judge(policy, at);
    }
  }

  /** Queue the policy's read on the probe's pipeline (nothing when it cannot be read or eviction is allowed); answers whether it did. */
  queue(pipeline: ChainableCommander): boolean {
    if (this.allowEviction || !this.source) return false;
    if (this.source === 'config') pipeline.config('GET', 'maxmemory-policy');
    else pipeline.info('memory');
    return true;
  }

  /** Judge the reply of what `queue` queued; a refused read is not judged. */
  verify(reply: readonly [Error | null, unknown], where: string): void {
    const [error, value] = reply;
    if (error) {
      if (refused(error)) return;
      throw error;
    }
    const policy = this.source && policyIn(this.source, value);
    if (policy !== undefined) this.judge(policy, where);
  }

  /** Read and judge the policy of each master of a cluster (the probe's, alongside its writes). */
  async verifyCluster(client: Cluster): Promise<void> {
    if (this.allowEviction || !this.source) return;
    await Promise.all(nodes(client, '').map(async ({ node, where }) => {
      const pipeline = node.pipeline();
      this.queue(pipeline);
      const [reply] = (await pipeline.exec()) ?? [];
      if (reply) this.verify(reply, where);
    }));
  }

  private async read(node: Redis): Promise<string | undefined> {
    for (const source of ['config', 'info'] as const) {
      try {
        const policy = policyIn(source, source === 'config' ? await node.config('GET', 'maxmemory-policy') : await node.info('memory'));
        if (policy !== undefined) {
          this.source = source;
          return policy;
        }
      } catch (error) {
        if (!refused(error)) throw error;
        log.debug({ error: (error as Error).message }, `${source === 'config' ? 'CONFIG GET' : 'INFO memory'} of maxmemory-policy refused`, loggerOf(this.owner));
      }
    }
    return undefined;
  }

  private judge(policy: string, where: string): void {
    if (!evictionRisk(policy)) return;
    if (this.allowEviction) {
      log.warn({ policy }, `${where} has maxmemory-policy ${policy}, which may evict the ledger's keys: accepted (allowEviction)`, loggerOf(this.owner));
      return;
    }
    throw new ConfigurationError('ERR_NTW_REDIS_EVICTION', `${where} has maxmemory-policy ${policy}, which may evict the ledger's keys: `
      + 'an evicted key makes its event run again and lets a DELETED token come back. Set maxmemory-policy to noeviction '
      + '(or a volatile-* policy: the ledger\'s keys have no TTL), or pass allowEviction: true to RedisStorage to accept that');
  }
}

/** The server, or each master of a cluster, with its name for messages. */
function nodes(client: Redis | Cluster, where: string): Node[] {
  if ((client as { isCluster?: boolean }).isCluster !== true) return [{ node: client as Redis, where }];
  return (client as Cluster).nodes('master').map((node) => ({ node, where: `Redis Cluster node ${node.options.host ?? 'localhost'}:${node.options.port ?? 6379}` }));
}
