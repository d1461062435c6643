import { ConfigurationError } from '../../errors';

/** Marks an endpoint's middleware, so that a host app's router can be searched for it (across copies of this package). */
export const ENDPOINT_MARK = Symbol.for('network-token-webhooks.endpoint');

/** What an endpoint needs of its mounting, on endpoints that answer `ready({ app })`'s probes. */
export const ENDPOINT_NEEDS = Symbol.for('network-token-webhooks.endpoint.needs');

export interface EndpointNeeds {
  /** It verifies the raw bytes: a host body parser before it must keep them. */
  readonly rawBody: boolean;
  /** Its sender checks the URL's health with a GET. */
  readonly healthCheck: boolean;
}

/** An endpoint as found in a host app's router. */
export interface Mount {
  readonly provider: string;
  /** The path it answers, as the router holds it (`/webhooks/tokenex`); `''` for the app's root. */
  readonly path: string;
  /** `'all'` for `app.use`/`app.all`, else the methods of `app.post(...)`, `app.get(...)`, .... */
  readonly methods: 'all' | readonly string[];
  readonly handle: object;
  /** Absent on an endpoint of a release that does not answer probes. */
  readonly needs?: EndpointNeeds;
}

/*
 * Express keeps its routes in undocumented but long-stable structures: a router's `stack` of layers, each a
 * route (`layer.route.path`, `layer.route.stack[].method`) or a middleware with its mount path (Express 5:
 * `layer.rawPath`; Express 4: only `layer.regexp`). Anything unrecognised is skipped: this check never fails
 * an app it cannot read.
 */
interface Layer {
  readonly handle?: unknown;
  readonly route?: { readonly path?: unknown; readonly stack?: readonly Layer[] };
  readonly method?: string;
  readonly rawPath?: unknown;
  readonly slash?: boolean;
  readonly regexp?: RegExp & { fast_slash?: boolean };
}

type Stack = readonly Layer[];

const markOf = (handle: unknown): string | undefined =>
  typeof handle === 'function' ? (handle as unknown as Record<symbol, string | undefined>)[ENDPOINT_MARK] : undefined;

const needsOf = (handle: unknown): { needs?: EndpointNeeds } => {
  const needs = (handle as Record<symbol, EndpointNeeds | undefined>)[ENDPOINT_NEEDS];
  return needs ? { needs } : {};
};

/** The router stack of an Express app (4 or 5), router, or nothing. */
function stackOf(target: unknown): Stack | undefined {
  if (typeof target !== 'function' && (typeof target !== 'object' || target === null)) return undefined;
  const t = target as { stack?: unknown; _router?: { stack?: unknown }; router?: { stack?: unknown } };
  const stack = t.stack ?? t._router?.stack ?? t.router?.stack;
  return Array.isArray(stack) ? stack as Stack : undefined;
}

/** A middleware layer's mount path: `''` for the root. Express 4 keeps only a regular expression; its simple paths read back. */
function usePath(layer: Layer): string {
  if (layer.slash === true || layer.regexp?.fast_slash === true) return '';
  if (typeof layer.rawPath === 'string') return layer.rawPath;
  const source = layer.regexp?.source ?? '?';
  const simple = /^\^((?:\\\/[\w.~-]+)+)\\\/\?\(\?=\\\/\|\$\)$/.exec(source);
  return simple ? simple[1]!.replace(/\\\//g, '/') : source;
}

/** Every endpoint mounted in `app` (nested routers and sub-apps included), with its path and methods. */
export function findMounts(app: unknown): Mount[] {
  const found: Mount[] = [];
  const walk = (stack: Stack, prefix: string, depth: number) => {
    if (depth > 16) return;
    for (const layer of stack) {
      const route = layer.route;
      if (route && Array.isArray(route.stack)) {
        const path = prefix + (typeof route.path === 'string' ? route.path : String(route.path));
        for (const item of route.stack) {
          const provider = markOf(item.handle);
          if (provider) found.push({ provider, path, methods: item.method ? [item.method.toLowerCase()] : 'all', handle: item.handle as object, ...needsOf(item.handle) });
        }
        continue;
      }
      const provider = markOf(layer.handle);
      if (provider) {
        found.push({ provider, path: prefix + usePath(layer), methods: 'all', handle: layer.handle as object, ...needsOf(layer.handle) });
        continue;
      }
      const nested = stackOf(layer.handle);
      if (nested) walk(nested, prefix + usePath(layer), depth + 1);
    }
  };
  const stack = stackOf(app);
  if (stack) walk(stack, '', 0);
  // one handle on one path for several methods (app.route(p).get(h).post(h)) is one mount
  const merged = new Map<object, Map<string, Mount>>();
  for (const mount of found) {
    const byPath = merged.get(mount.handle) ?? new Map<string, Mount>();
    merged.set(mount.handle, byPath);
    const seen = byPath.get(mount.path);
    const methods = !seen ? mount.methods
      : seen.methods === 'all' || mount.methods === 'all' ? 'all' : [...seen.methods, ...mount.methods];
    byPath.set(mount.path, { ...mount, methods });
  }
  return [...merged.values()].flatMap((byPath) => [...byPath.values()]);
}

/**
 * The mount mistakes a first hour brings, found in the app's router:
 * - `ERR_NTW_MOUNT_METHOD`: mounted with `app.get` (or another method without POST): deliveries get the app's 404;
 * - `ERR_NTW_MOUNT_PATH`: `app.use(endpoint)` without a path: it answers every request of the app;
 * - `ERR_NTW_MOUNT_DUPLICATE`: two endpoints for one provider on one path: only the first ever answers.
 */
export function mountProblems(mounts: readonly Mount[]): ConfigurationError[] {
  const problems: ConfigurationError[] = [];
  const where = (m: Mount) => `${m.provider} endpoint at ${m.path === '' ? 'the root' : JSON.stringify(m.path)}`;
  for (const m of mounts) {
    if (m.methods !== 'all' && !m.methods.includes('post')) {
      problems.push(new ConfigurationError('ERR_NTW_MOUNT_METHOD',
        `the ${where(m)} is mounted for ${m.methods.map((x) => x.toUpperCase()).join(', ')} only; providers POST: mount it with app.use(path, …) or app.post(path, …)`));
    }
    if (m.path === '' || m.path === '/') {
      problems.push(new ConfigurationError('ERR_NTW_MOUNT_PATH',
        `the ${m.provider} endpoint is mounted without a path and would answer every request of the app: mount it with app.use('/webhooks/${m.provider}', …)`));
    }
  }
  const byPlace = new Map<string, Mount[]>();
  for (const m of mounts) {
    const key = `${m.provider}\u0000${m.path}`;
    byPlace.set(key, [...(byPlace.get(key) ?? []), m]);
  }
  for (const same of byPlace.values()) {
    const distinct = new Set(same.map((m) => m.handle));
    if (distinct.size > 1) {
      problems.push(new ConfigurationError('ERR_NTW_MOUNT_DUPLICATE',
        `${distinct.size} ${same[0]!.provider} endpoints are mounted at ${JSON.stringify(same[0]!.path)}: only the first ever answers. Give each its own path, or one endpoint several keys`));
    }
  }
  return problems;
}
