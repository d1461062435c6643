import { createHash } from 'node:crypto';
import type { ThrottleCount, ThrottleStore } from './throttle-store';
import { addressKey } from './throttle-store';
import { ConfigurationError } from '../errors';
import { BoundedStore } from './bounded-store';

/**
 * Limits on failed client authentications at a token endpoint or sign-in, counted per source address (IPv6: per
 * /64) and per client id from each address, so that failures from one address never refuse another address its
 * right credentials: an address that has not failed, or has succeeded since (a success clears its failures for that
 * client id), is never refused. A client id guessed from many addresses stays bounded: once it has had `perClient`
 * failures in all within the window, an address that has failed for it gets no second try until its window ends,
 * unless it succeeded as that client within the last half window. An attacker with N addresses who does not know the
 * secret gets about `perClient` + N guesses at one client id per window, never more than N × `perClient`.
 *
 * Counts live in a `ThrottleStore` (express-rate-limit's store contract) under fixed-size keys (SHA-256 of the client id and address, never the
 * values themselves): by default an in-process store of at most `maxKeys` counts, or any store of that ecosystem
 * (Redis, Memcached, …) to share them across instances.
 */
export interface ThrottleOptions {
  /** How long failures are counted, in ms. Default 900000 (15 minutes). */
  readonly windowMs?: number;
  /**
   * Failed attempts for one client id from one source address within the window; once the client id has had this
   * many from all addresses together, one per address that has not succeeded as it recently. Default 10. (It used
   * to count one client id from every address together, so guesses from anywhere locked it out everywhere.)
   */
  readonly perClient?: number;
  /** Failed attempts allowed per source address (IPv6: per /64), whatever the client id, within the window. Default 50. */
  readonly perAddress?: number;
  /**
   * The most counts the default in-process store keeps (about 180 bytes each: 18 MB at the default), half for source
   * addresses and configured client ids, half for client ids nobody configured. Default 100000. Not with `store`.
   */
  readonly maxKeys?: number;
  /**
   * A store of express-rate-limit's ecosystem (`ThrottleStore`: rate-limit-redis, …), shared by the instances that should
   * count together. Default: in-process, bounded by `maxKeys`.
   */
  readonly store?: ThrottleStore;
}

type Code = ConfigurationError['code'];

function count(code: Code, name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new ConfigurationError(code, `throttle.${name} must be an integer of ${min} or more`);
  return value;
}

/** The keys of one request's counts; the client id's are there when one was given. */
interface Keys {
  readonly address: string;
  /** Where the client id's counts live. */
  readonly store: ThrottleStore;
  readonly client?: { readonly here: string; readonly everywhere: string; readonly success: string | undefined };
}

/** What one check found for one request: whether to refuse it, and what its outcome has to count or clear. */
export class Standing {
  constructor(
    /** Seconds until the request may be tried again, when it is refused now. */
    readonly retryAfter: number | undefined,
    readonly keys: Keys,
    /** Failures of this client id from this address within the window. */
    readonly failuresHere: number,
    /** This address's last success as this client id is noted for half a window more at least: no need to note it again. */
    readonly successNoted: boolean,
  ) {}
}

const hits = (info: ThrottleCount | undefined) => info?.totalHits ?? 0;

/**
 * The default store keeps counts of client ids nobody configured apart from those of addresses and configured client
 * ids, each in half of `maxKeys`, the count used least recently forgotten first. An attacker can invent client ids
 * without end, but has only so many source addresses:
 *
 * - inventing ids evicts only counts of other invented ids, which can never succeed anyway;
 * - the other half grows by one count per address, plus one per configured client id that address failed for, in a
 *   window, and an address's counts are used again whenever it sends. Evicting one takes about `maxKeys / 4` other
 *   addresses (25,000 by default, one client configured) sending since: fewer never evict anything of use. More,
 *   cycling through, get back one guess per address each time they have churned the store through, on top of the
 *   one per address the rule gives them already.
 *
 * Evicting only forgets failures, so it never refuses anyone. Both kinds of id are counted alike: the answers do not
 * tell a prober whether a client id is configured (short of flooding half the store from hundreds of addresses).
 */
export class FailureThrottle {
  private readonly counts: ThrottleStore;
  private readonly strangers: ThrottleStore;
  private readonly perClient: number;
  private readonly perAddress: number;
  private readonly windowMs: number;
  private readonly stores: readonly BoundedStore[];

  /**
   * @param scope what the counts are for (`oauth:ni`, `console`): two throttles sharing one store count apart.
   * @param configured whether a client id is one of those configured (decides only where its counts are kept).
   */
  constructor(options: ThrottleOptions = {}, private readonly scope: string, private readonly configured: (clientId: string) => boolean, code: Code) {
    this.windowMs = count(code, 'windowMs', options.windowMs, 15 * 60_000);
    this.perClient = count(code, 'perClient', options.perClient, 10);
    this.perAddress = count(code, 'perAddress', options.perAddress, 50);
    const maxKeys = count(code, 'maxKeys', options.maxKeys, 100_000, 2);
    if (options.store) {
      if (options.maxKeys !== undefined) throw new ConfigurationError(code, 'throttle.maxKeys bounds the default store: give it or store, not both');
      this.counts = this.strangers = options.store;
      this.stores = [];
      void Promise.resolve(options.store.init?.({ windowMs: this.windowMs })).catch(() => undefined);
    } else {
      const counts = new BoundedStore(Math.ceil(maxKeys / 2), this.windowMs);
      const strangers = new BoundedStore(Math.floor(maxKeys / 2), this.windowMs);
      this.counts = counts;
      this.strangers = strangers;
      this.stores = [counts, strangers];
    }
  }

  /** Counts the default store keeps now (0 with a store of the host's). */
  get keptKeys(): number {
    return this.stores.reduce((sum, store) => sum + store.size, 0);
  }

  /** Whether a request from `address` (as `clientId`, once known) may be tried now. */
  async check(address: string | undefined, clientId: string | undefined): Promise<Standing> {
    const keys = this.keys(address, clientId);
    const { store, client } = keys;
    const [fromAddress, here, everywhere, success] = await Promise.all([
      this.counts.get?.(keys.address),
      client && store.get?.(client.here),
      client && store.get?.(client.everywhere),
      client?.success === undefined ? undefined : this.counts.get?.(client.success),
    ]);
    const now = Date.now();
    const waits: number[] = [];
    if (hits(fromAddress) >= this.perAddress) waits.push(this.remaining(fromAddress, now));
    if (hits(here) >= this.perClient) waits.push(this.remaining(here, now));
    else if (hits(here) > 0 && hits(everywhere) >= this.perClient && success === undefined) {
      waits.push(Math.min(this.remaining(here, now), this.remaining(everywhere, now)));
    }
    const retryAfter = waits.length === 0 ? undefined : Math.max(1, Math.ceil(Math.max(...waits) / 1000));
    const successNoted = success !== undefined && this.remaining(success, now) > this.windowMs / 2;
    return new Standing(retryAfter, keys, hits(here), successNoted);
  }

  /** The request `standing` was found for failed to authenticate. */
  async failed({ keys: { address, store, client } }: Standing): Promise<void> {
    await Promise.all([
      this.counts.increment(address),
      client && store.increment(client.here),
      client && store.increment(client.everywhere),
    ]);
  }

  /** The request `standing` was found for (with its client id) succeeded: clears its failures and notes the success. */
  async succeeded({ keys: { store, client }, failuresHere, successNoted }: Standing): Promise<void> {
    const success = client?.success;
    await Promise.all([
      client && failuresHere > 0 && store.resetKey(client.here),
      success !== undefined && !successNoted && (async () => {
        await this.counts.resetKey(success); // noted anew for a whole window: still there half a window after any success
        await this.counts.increment(success);
      })(),
    ]);
  }

  shutdown(): void {
    if (this.stores.length === 0) void Promise.resolve(this.counts.shutdown?.()).catch(() => undefined);
  }

  private remaining(info: ThrottleCount | undefined, now: number): number {
    return (info?.resetTime?.getTime() ?? now + this.windowMs) - now;
  }

  /** Fixed-size keys: whatever length of client id an attacker sends, a count costs the same few bytes. */
  private keys(address: string | undefined, clientId: string | undefined): Keys {
    const at = address === undefined ? '' : addressKey(address);
    const key = (kind: string, ...parts: string[]) => {
      const digest = createHash('sha256').update(JSON.stringify([this.scope, ...parts])).digest('base64url');
      // copied into one flat string: a concatenation would keep its parts and the whole digest (half again per count)
      return Buffer.from(`${kind}:${digest.slice(0, 22)}`, 'latin1').toString('latin1');
    };
    if (!clientId) return { address: key('address', at), store: this.counts };
    const configured = this.configured(clientId);
    return {
      address: key('address', at),
      store: configured ? this.counts : this.strangers,
      client: { here: key('here', clientId, at), everywhere: key('client', clientId), success: configured ? key('success', clientId, at) : undefined },
    };
  }
}
