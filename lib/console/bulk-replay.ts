import type { ReplayManyStatus } from '../ledger/replay-many';
import type { Html } from './html';
import { href, html } from './html';
import type { PageContext } from './context';

/**
 * The way from a list to the bulk replay of its status (and of a search's provider and window): a GET to the page
 * that counts what matches, then asks to confirm.
 */
export function bulkReplayLink(ctx: PageContext, status: ReplayManyStatus, filter: { readonly provider?: string; readonly since?: string; readonly until?: string } = {}): Html {
  const hidden = (name: string, value: string | undefined) => (value ? html`<input type="hidden" name="${name}" value="${value}">` : '');
  return html`<form class="inline bulk" method="get" action="${href(ctx.base, 'bulk-replay')}"><input type="hidden" name="status" value="${status}">${
    hidden('provider', filter.provider)}${hidden('since', filter.since)}${hidden('until', filter.until)}
<button type="submit">Replay ${status === 'dead' ? 'dead letters' : 'failing events'} in bulk\u2026</button></form>`;
}

/** What the bulk replay just posted did, once (a reload does not show it again). */
export function bulkReplayNotice(ctx: PageContext): Html | '' {
  if (ctx.flash?.kind !== 'bulk') return '';
  const { replayed } = ctx.flash;
  if (replayed === 0) return html`<p class="notice bad" role="status">Nothing was replayed: none of those events is dead or failing any more (replayed meanwhile?).</p>`;
  return html`<p class="notice" role="status">Replayed ${replayed === 1 ? 'one event' : `${replayed.toLocaleString('en-US')} events`}: ${
    ctx.source.mode === 'inbox' ? 'the worker runs them' : 'they run one at a time, in the background'}.</p>`;
}
