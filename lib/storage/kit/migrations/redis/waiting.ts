import type { Cluster, Redis } from 'ioredis';

/** How long `init()` waits for another instance's migration, and for 0.1 instances to finish their events. */
export const WAIT_MS = 15_000;

/** Redis's clock, in ms. */
export async function redisNow(client: Redis | Cluster): Promise<number> {
  const [seconds, micros] = await (client as Redis).time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
