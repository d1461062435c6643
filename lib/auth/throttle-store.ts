import { isIPv6 } from 'node:net';

/** A count kept by a `ThrottleStore`: hits within the window, and when the window ends. */
export interface ThrottleCount {
  readonly totalHits: number;
  readonly resetTime: Date | undefined;
}

/**
 * Where failed authentications are counted. The contract of express-rate-limit's `Store`, so that any store of that
 * ecosystem (rate-limit-redis, rate-limit-memcached, its `MemoryStore`, …) can be passed as it is, shared by the
 * instances that should count together; this package does not depend on express-rate-limit itself.
 */
export interface ThrottleStore {
  init?(options: { readonly windowMs: number }): void;
  get?(key: string): ThrottleCount | undefined | Promise<ThrottleCount | undefined>;
  increment(key: string): ThrottleCount | Promise<ThrottleCount>;
  decrement(key: string): void | Promise<void>;
  resetKey(key: string): void | Promise<void>;
  shutdown?(): void | Promise<void>;
  readonly localKeys?: boolean;
  readonly prefix?: string;
}

const hex = (n: number) => n.toString(16);

/**
 * The network an address is counted under: an IPv6 address by its /64 (the smallest network given to one site:
 * otherwise one host could take 2^64 addresses), an IPv4-mapped IPv6 address as its IPv4 address, anything else as
 * it is. `2001:db8:1:2:3:4:5:6` → `2001:db8:1:2::/64`.
 */
export function addressKey(address: string): string {
  if (!isIPv6(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const groups = expandIPv6(address);
  return `${groups.slice(0, 4).map(hex).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (`isIPv6` checked), an embedded IPv4 tail included. */
function expandIPv6(address: string): number[] {
  const text = address.replace(/%.*$/, ''); // a zone id names an interface, not a network
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let body = text;
  const extra: number[] = [];
  if (tail) {
    const [a, b, c, d] = tail[1]!.split('.').map(Number) as [number, number, number, number];
    extra.push((a << 8) | b, (c << 8) | d);
    body = text.slice(0, -tail[1]!.length).replace(/:$/, '') || ':';
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const [head = '', rest] = body.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const missing = 8 - left.length - right.length - extra.length;
  return [...left, ...Array<number>(rest === undefined ? 0 : missing).fill(0), ...right, ...extra];
}
