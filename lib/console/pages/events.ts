import type { Entry } from '../../storage/storage';
import { ENTRY_STATUSES, cursorOf } from '../../storage/storage';
import { matchesQuery } from '../../storage/entry-query';
import type { Html } from '../html';
import { href, html } from '../html';
import type { PageContext } from '../context';
import { entriesTable } from '../entries';
import type { Place, Search } from '../search';
import { MAX_INPUT, encodeCursor, queryOf, readSearch, searchParams } from '../search';
import { bulkReplayLink } from '../bulk-replay';

function searchForm(ctx: PageContext, search: Search): Html {
  const providers = [...new Set([...ctx.source.providers(), ...(search.provider ? [search.provider] : [])])].sort();
  const option = (value: string, label: string, selected: boolean) => html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  const text = (name: 'id' | 'tokenRef', label: string) =>
    html`<label>${label}<input name="${name}" value="${search[name]}" maxlength="${MAX_INPUT}" autocomplete="off" spellcheck="false"></label>`;
  return html`<form class="search" method="get" action="${href(ctx.base, 'events')}" role="search" aria-label="Search events">
${text('id', 'Event id')}${text('tokenRef', 'Token reference')}
<label>Provider<select name="provider">${option('', 'any', search.provider === '')}${providers.map((p) => option(p, p, p === search.provider))}</select></label>
<label>Status<select name="status">${option('', 'any', search.status === '')}${ENTRY_STATUSES.map((s) => option(s, s, s === search.status))}</select></label>
<label>Received from (UTC)<input type="datetime-local" name="from" value="${search.from}" step="1"></label>
<label>Received before (UTC)<input type="datetime-local" name="to" value="${search.to}" step="1"></label>
<button type="submit">Search</button></form>`;
}

/** The links to the newest page, the newer one and the older one, each by a cursor (never an offset). */
function pager(ctx: PageContext, search: Search, shown: readonly Entry[], more: { newer: boolean; older: boolean }): Html {
  const params = searchParams(search);
  const link = (label: string, rel: string, place: Record<string, string>) =>
    html`<a href="${href(ctx.base, 'events', { ...params, ...place })}" rel="${rel}">${label}</a>`;
  const parts = [
    more.newer ? link('Newest', 'first', {}) : undefined,
    more.newer && shown.length > 0 ? link('Newer', 'prev', { before: encodeCursor(cursorOf(shown[0]!)) }) : undefined,
    more.older && shown.length > 0 ? link('Older', 'next', { after: encodeCursor(cursorOf(shown.at(-1)!)) }) : undefined,
  ].filter((part): part is Html => part !== undefined);
  return parts.length ? html`<nav class="pager" aria-label="Pages">${parts.map((part, i) => html`${i ? ' · ' : ''}${part}`)}</nav>` : html``;
}

/**
 * Stored events found by id or token reference (exactly), filtered by provider, status and time of receipt, newest
 * first, a page at a time by cursor: each query answered by the storage from its indexes.
 */
export async function eventsPage(ctx: PageContext): Promise<{ title: string; body: Html; status?: number }> {
  const read = readSearch(ctx.query);
  if ('problem' in read) {
    const empty: Search = { id: '', tokenRef: '', provider: '', status: '', from: '', to: '' };
    return { title: 'Events', status: 400, body: html`${searchForm(ctx, empty)}<p class="notice bad">This search cannot be answered: ${read.problem}.</p>` };
  }
  const { search, place } = read;
  const query = queryOf(search, place, ctx.pageSize + 1);
  const { storage } = ctx.source;
  // an adapter that does not know a filter answers more than asked: what it answers is filtered here too
  const found = (await ctx.source.call('listEntries', () => storage.listEntries(query))).filter((e) => matchesQuery(e, query));
  const beyond = found.length > ctx.pageSize;
  const page = found.slice(0, ctx.pageSize);
  const backwards = 'before' in place;
  const shown = backwards ? page.reverse() : page;
  const more = backwards ? { newer: beyond, older: true } : { newer: 'after' in place, older: beyond };
  const filtered = Object.keys(searchParams(search)).length > 0;
  // Dead or failing events of a provider and a window: all of them (not this page only) may be replayed together.
  const bulk = (search.status === 'dead' || search.status === 'failed') && !search.id && !search.tokenRef && shown.length > 0
    ? bulkReplayLink(ctx, search.status, { provider: search.provider, since: search.from, until: search.to }) : '';
  return {
    title: 'Events',
    body: html`${searchForm(ctx, search)}
${bulk}${entriesTable(ctx, shown, { errors: true, empty: emptyText(filtered, place) })}
${pager(ctx, search, shown, more)}`,
  };
}

function emptyText(filtered: boolean, place: Place): string {
  if ('after' in place || 'before' in place) return 'No more events this way.';
  return filtered ? 'No stored event matches.' : 'Nothing received yet.';
}
