import type { Cluster, Redis } from 'ioredis';
import type { EventKey } from './storage';

/** Where a RedisStorage keeps what: the keys an entry and a token live under. */
export interface RedisLayout {
  readonly client: Redis | Cluster;
  readonly keyPrefix: string;
  readonly cluster: boolean;
  /** How many shards the entries are spread over. */
  readonly shards: number;
  /** A key of one shard (`<prefix>{s<n>}:<suffix>`). */
  shardKey(shard: number, suffix: string): string;
  /** For error messages: where the data lives. */
  readonly where: string;
  entry(key: EventKey): { readonly entry: string; readonly due: string; readonly recv: string; readonly statusPrefix: string; readonly member: string; readonly timelineMember: string };
  tokenKey(provider: string, tokenRef: string): string;
  timelineKey(provider: string, tokenRef: string): string;
  tokenCountsKey(): string;
}
