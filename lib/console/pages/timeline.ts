import type { TokenStateRecord } from '../../storage/storage';
import type { Html } from '../html';
import { href, html, time } from '../html';
import type { PageContext } from '../context';
import { eventLink, flags, statusBadge } from '../entries';

/** The longest timeline shown: a token sees a handful of events a year. */
const TIMELINE_LIMIT = 500;
/** Longer than any id or token reference the pipeline stores. */
const MAX_INPUT = 512;

function searchForm(ctx: PageContext, provider: string, tokenRef: string): Html {
  const providers = [...new Set([...ctx.source.providers(), ...(provider ? [provider] : [])])].sort();
  return html`<form class="search" method="get" action="${href(ctx.base, 'tokens')}" role="search">
<label>Provider<select name="provider">${providers.map((p) => html`<option${p === provider ? html` selected` : ''}>${p}</option>`)}</select></label>
<label>Token reference<input name="tokenRef" value="${tokenRef}" maxlength="${MAX_INPUT}" required autocomplete="off" spellcheck="false"></label>
<button type="submit">Show timeline</button></form>`;
}

function stateFacts(state: TokenStateRecord | undefined): Html {
  if (!state) return html`<p class="notice">No state recorded for this token: no event with a state has run for it.</p>`;
  const chargeable = state.state === 'ACTIVE';
  return html`<dl class="facts" aria-label="Current state">
<dt>Current state</dt><dd><strong>${state.state}</strong></dd>
<dt>Chargeable</dt><dd><strong>${chargeable ? 'yes' : 'no'}</strong></dd>
<dt>State as of</dt><dd>${time(state.occurredAt)}</dd>
<dt>Set by event</dt><dd class="mono">${state.eventId}</dd>
<dt>Updated</dt><dd>${time(state.updatedAt)}</dd>
</dl>`;
}

/** A token's current state and every event stored for it, oldest first, stale ones marked. */
export async function timelinePage(ctx: PageContext): Promise<{ title: string; body: Html }> {
  const provider = (ctx.query.get('provider') ?? '').slice(0, MAX_INPUT);
  const tokenRef = (ctx.query.get('tokenRef') ?? '').trim().slice(0, MAX_INPUT);
  const form = searchForm(ctx, provider, tokenRef);
  if (!provider || !tokenRef) return { title: 'Token timeline', body: html`${form}<p class="muted">Choose a provider and give a token reference.</p>` };
  const { storage } = ctx.source;
  const [state, events] = await Promise.all([
    ctx.source.call('getTokenState', () => storage.getTokenState(provider, tokenRef)),
    ctx.source.call('listEntries', () => storage.listEntries({ provider, tokenRef, limit: TIMELINE_LIMIT })),
  ]);
  const rows = events.length === 0
    ? html`<p class="muted">No stored event names this token${state ? ' (its events may have been pruned after the retention period)' : ''}.</p>`
    : html`<table aria-label="Events of the token"><thead><tr><th>Occurred</th><th>Received</th><th>Event</th><th>Type</th><th>State</th><th>Status</th><th>Outcome</th></tr></thead>
<tbody>${events.map((e) => html`<tr${e.projection === 'stale' ? html` class="stale"` : ''}>
<td>${time(e.occurredAt)}</td><td>${time(e.receivedAt)}</td><td>${eventLink(ctx, e)}</td><td>${e.type}</td><td>${e.state ?? ''}</td>
<td>${statusBadge(e.status)}</td><td>${e.projection === 'changed' ? 'applied ' : ''}${flags(e)}</td></tr>`)}</tbody></table>${
      events.length === TIMELINE_LIMIT ? html`<p class="muted">The first ${TIMELINE_LIMIT} events are shown.</p>` : ''}`;
  return {
    title: 'Token timeline',
    body: html`${form}<h2 class="mono">${provider} · ${tokenRef}</h2>${stateFacts(state)}<h2>Events, oldest first</h2>${rows}`,
  };
}
