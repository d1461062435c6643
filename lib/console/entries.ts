import type { Entry } from '../storage/storage';
import type { Html } from './html';
import { href, html, time } from './html';
import type { PageContext } from './context';

/** Whether the replay action applies: an entry that failed, died, completed, or was quarantined. */
export const replayable = (entry: Entry) => ['failed', 'dead', 'done', 'quarantined'].includes(entry.status);

export const statusBadge = (status: string) => html`<span class="status status-${status}">${status}</span>`;

/** The entry's flags: stale (with its reason), a repeat, conflicting copies. */
export function flags(entry: Entry): Html {
  return html`${entry.projection === 'stale' ? html`<span class="flag flag-stale" title="older than the token's state, or after DELETED">stale${entry.staleReason ? `: ${entry.staleReason}` : ''}</span> ` : ''}${
    entry.projection === 'repeated' ? html`<span class="flag">repeat</span> ` : ''}${
    entry.conflicts > 0 ? html`<span class="flag flag-conflict">${entry.conflicts} conflicting ${entry.conflicts === 1 ? 'copy' : 'copies'}</span>` : ''}`;
}

/**
 * The replay action of an entry. A done one's leads to its confirmation page first (a GET), unless this is that
 * page's own form (`confirmed`).
 */
export function replayForm(ctx: PageContext, entry: Entry, label = 'Replay', confirmed = false): Html {
  const key = html`<input type="hidden" name="provider" value="${entry.provider}"><input type="hidden" name="id" value="${entry.id}">`;
  if (entry.status === 'done' && !confirmed) {
    return html`<form class="inline" method="get" action="${href(ctx.base, 'run-again')}">${key}<button type="submit">${label}…</button></form>`;
  }
  return html`<form class="inline" method="post" action="${href(ctx.base, 'replay')}">
<input type="hidden" name="csrf" value="${ctx.csrf}">${key}${confirmed ? html`<input type="hidden" name="confirm" value="yes">` : ''}
<button type="submit">${label}</button></form>`;
}

export const eventLink = (ctx: PageContext, entry: Entry) =>
  html`<a class="mono" href="${href(ctx.base, 'event', { provider: entry.provider, id: entry.id })}">${entry.id}</a>`;

export const tokenLink = (ctx: PageContext, entry: Entry) => entry.tokenRef === ''
  ? html`<span class="muted">none</span>`
  : html`<a class="mono" href="${href(ctx.base, 'tokens', { provider: entry.provider, tokenRef: entry.tokenRef })}">${entry.tokenRef}</a>`;

/** A table of entries; with `errors`, their last error and the replay action. */
export function entriesTable(ctx: PageContext, entries: readonly Entry[], options: { errors?: boolean; empty?: string } = {}): Html {
  if (entries.length === 0) return html`<p class="muted">${options.empty ?? 'None.'}</p>`;
  return html`<table>
<thead><tr><th>Received</th><th>Provider</th><th>Event</th><th>Type</th><th>Token</th><th>Status</th><th class="num">Attempts</th>${
    options.errors ? html`<th>Last error</th><th></th>` : html`<th></th>`}</tr></thead>
<tbody>${entries.map((e) => html`<tr>
<td>${time(e.receivedAt)}</td><td>${e.provider}</td><td>${eventLink(ctx, e)}</td><td>${e.type}${e.state ? html` <span class="muted">${e.state}</span>` : ''}</td>
<td>${tokenLink(ctx, e)}</td><td>${statusBadge(e.status)}</td><td class="num">${e.attempts}</td>${
    options.errors ? html`<td class="error mono">${e.lastError ?? ''}</td><td>${replayable(e) ? replayForm(ctx, e) : ''}</td>` : html`<td>${flags(e)}</td>`}
</tr>`)}</tbody>
</table>`;
}
