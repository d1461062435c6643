/**
 * The deliveries `npm run bench:work` feeds one receiver, built with each provider's own test kit (its example
 * credentials, its payloads as it sends them): new events (a new id and token each), duplicates (one event again,
 * after its first delivery) and refusals (a bad signature: the body changed after signing; for a provider that
 * signs nothing, a wrong shared secret).
 */
import type { BuiltinProviders } from '../lib';
import type { KitCredentials, PayloadKind, ProviderTestKit } from '../lib/providers/test-kit';

export type WorkKind = 'new' | 'duplicate' | 'refused';
export const WORK_KINDS: readonly WorkKind[] = ['new', 'duplicate', 'refused'];

export interface WorkDelivery {
  readonly headers: Record<string, string>;
  readonly rawBody: Buffer;
}

type AnyKit = ProviderTestKit<unknown, unknown>;

/** A provider's kit, credentials and endpoint options, as its CLI example gives them. */
export function kitOf(provider: BuiltinProviders[keyof BuiltinProviders]): { kit: AnyKit; credentials: KitCredentials<unknown>; options: object } {
  const kit = provider.testKit as unknown as AnyKit;
  const credentials = kit.cli.credentials(kit.cli.example.flags);
  return { kit, credentials, options: kit.options(credentials) };
}

const ids = (tag: string, n: number) => ({ id: `evt-${tag}-${n.toString(36).padStart(6, '0')}`, tokenRef: `tok-${tag}-${n.toString(36).padStart(6, '0')}` });

function signed(kit: AnyKit, credentials: KitCredentials<unknown>, body: string, now: number): WorkDelivery {
  const s = kit.sign?.(body, credentials, now) ?? { headers: credentials.bearer ? { authorization: `Bearer ${credentials.bearer}` } : {} };
  return { headers: { 'content-type': 'application/json', ...s.headers }, rawBody: Buffer.from(s.body ?? body) };
}

/** `count` deliveries of `kind` for one provider (ids tagged `tag`), all built before any is delivered. */
export function deliveries(provider: BuiltinProviders[keyof BuiltinProviders], kind: WorkKind, count: number, tag: string): WorkDelivery[] {
  const { kit, credentials } = kitOf(provider);
  const payloadKind: PayloadKind = kit.cli.example.kind;
  const now = Date.now();
  const body = (n: number) => JSON.stringify(kit.payload(payloadKind, ids(tag, n)));
  const out: WorkDelivery[] = [];
  if (kind === 'duplicate') {
    const same = signed(kit, credentials, body(0), now);
    for (let n = 0; n < count; n++) out.push(same);
    return out;
  }
  for (let n = 0; n < count; n++) {
    const text = body(n);
    if (kind === 'new') {
      out.push(signed(kit, credentials, text, now));
      continue;
    }
    const good = signed(kit, credentials, text, now);
    const bodySigned = JSON.stringify(signed(kit, credentials, `${text} `, now).headers) !== JSON.stringify(good.headers);
    out.push(bodySigned
      // Signed over the body: the body changes after signing (one id character), the signature stays.
      ? { headers: good.headers, rawBody: Buffer.from(text.replace(ids(tag, n).id, ids(tag, n).id.toUpperCase())) }
      : signed(kit, { ...credentials, bearer: `${credentials.bearer ?? 'none'}-wrong` }, text, now));
  }
  return out;
}
