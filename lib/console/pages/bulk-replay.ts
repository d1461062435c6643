import type { ReplayManyQuery, ReplayManyStatus } from '../../ledger/replay-many';
import { REPLAY_MANY_LIMIT, replayQuery } from '../../ledger/replay-many';
import type { Html } from '../html';
import { href, html, time } from '../html';
import type { PageContext, PageResult } from '../context';
import { entriesTable } from '../entries';

/** The most one bulk replay from the console takes: `replayMany`'s default. */
export const CONSOLE_BULK_LIMIT = REPLAY_MANY_LIMIT;

const NOUNS: Readonly<Record<ReplayManyStatus, readonly [string, string]>> = {
  dead: ['dead letter', 'dead letters'],
  failed: ['failing event', 'failing events'],
};

/** A form's fields as given (shown again in the form), and the query they make, or why they make none. */
interface BulkFields {
  readonly status: string;
  readonly provider: string;
  readonly since: string;
  readonly until: string;
}

/** A time as `<input type="datetime-local">` sends it (read as UTC), or ISO 8601 with `Z`. */
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?Z?$/;
const MAX_FIELD = 512;

function timeOf(text: string): Date | undefined | null {
  if (text === '') return undefined;
  if (!TIME.test(text)) return null;
  const date = new Date(text.endsWith('Z') ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The bulk replay a form (or a page's query) asks for: `status` dead unless said, any provider, any time. */
export function bulkQueryOf(params: URLSearchParams): { readonly fields: BulkFields; readonly query?: ReplayManyQuery; readonly problem?: string } {
  const fields: BulkFields = {
    status: params.get('status') || 'dead',
    provider: (params.get('provider') ?? '').slice(0, MAX_FIELD),
    since: (params.get('since') ?? '').trim().slice(0, 40),
    until: (params.get('until') ?? '').trim().slice(0, 40),
  };
  if (fields.status !== 'dead' && fields.status !== 'failed') return { fields, problem: 'the status must be dead or failed' };
  const since = timeOf(fields.since);
  const until = timeOf(fields.until);
  if (since === null) return { fields, problem: 'the start of the window is not a time (YYYY-MM-DDTHH:MM, UTC)' };
  if (until === null) return { fields, problem: 'the end of the window is not a time (YYYY-MM-DDTHH:MM, UTC)' };
  if (since && until && since >= until) return { fields, problem: 'the window ends before it starts' };
  return {
    fields,
    query: { status: fields.status, ...(fields.provider ? { provider: fields.provider } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}) },
  };
}

const inputTime = (text: string) => {
  const date = timeOf(text);
  return date ? date.toISOString().slice(0, 19) : '';
};

function filterForm(ctx: PageContext, fields: BulkFields): Html {
  const providers = [...new Set([...ctx.source.providers(), ...(fields.provider ? [fields.provider] : [])])].sort();
  const option = (value: string, label: string, selected: boolean) => html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<form class="search" method="get" action="${href(ctx.base, 'bulk-replay')}" aria-label="Events to replay">
<label>Status<select name="status">${option('dead', 'dead letters', fields.status !== 'failed')}${option('failed', 'failing', fields.status === 'failed')}</select></label>
<label>Provider<select name="provider">${option('', 'any', fields.provider === '')}${providers.map((p) => option(p, p, p === fields.provider))}</select></label>
<label>Received from (UTC)<input type="datetime-local" name="since" step="1" value="${inputTime(fields.since)}"></label>
<label>Received before (UTC)<input type="datetime-local" name="until" step="1" value="${inputTime(fields.until)}"></label>
<button type="submit">Count</button></form>`;
}

function confirmForm(ctx: PageContext, fields: BulkFields, label: string): Html {
  const hidden = (name: keyof BulkFields) => html`<input type="hidden" name="${name}" value="${fields[name]}">`;
  return html`<form class="confirm" method="post" action="${href(ctx.base, 'bulk-replay')}">
<input type="hidden" name="csrf" value="${ctx.csrf}">${hidden('status')}${hidden('provider')}${hidden('since')}${hidden('until')}
<button type="submit">${label}</button> <a href="${href(ctx.base, 'inbox')}">Cancel</a></form>`;
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Replay in bulk, in two steps: the filter (status, provider, window of receipt) and the count of what matches,
 * with the oldest of them shown; then the confirmation, a POST of the same filter.
 */
export async function bulkReplayPage(ctx: PageContext): Promise<PageResult> {
  const title = 'Replay in bulk';
  const parsed = bulkQueryOf(ctx.query);
  const form = filterForm(ctx, parsed.fields);
  if (!parsed.query) return { title, status: 400, body: html`${form}<p class="notice bad">${parsed.problem}.</p>` };
  const { query } = parsed;
  const filter = replayQuery({ ...query, limit: CONSOLE_BULK_LIMIT });
  const { storage } = ctx.source;
  const found = await ctx.source.call('listEntries', () => storage.listEntries({ ...filter, limit: CONSOLE_BULK_LIMIT + 1 }));
  const matching = found.filter((entry) => entry.status === query.status);
  const [one, many] = NOUNS[query.status];
  const window = `${query.provider ? ` of ${query.provider}` : ''}${query.since ? `, received from ${time(query.since)}` : ''}${
    query.until ? `${query.since ? '' : ', received'} before ${time(query.until)}` : ''}`;
  if (matching.length === 0) return { title, body: html`${form}<p class="notice" role="status">No ${many}${window}.</p>` };
  const shown = Math.min(matching.length, CONSOLE_BULK_LIMIT);
  const noun = shown === 1 ? one : many;
  const runs = ctx.source.mode === 'inbox' ? 'the worker runs them' : 'they run one at a time, in the background';
  return {
    title,
    body: html`${form}
<p class="notice" role="status">${matching.length > CONSOLE_BULK_LIMIT
      ? `More than ${count(CONSOLE_BULK_LIMIT)} ${many}${window}: the oldest ${count(CONSOLE_BULK_LIMIT)} are replayed; count again afterwards for the rest.`
      : `${count(shown)} ${noun}${window}.`}</p>
<p>Replaying makes each one pending again, its attempts counted from zero, and ${runs}. One that someone replayed meanwhile is left as it is.</p>
${confirmForm(ctx, parsed.fields, `Replay ${count(shown)} ${noun}`)}
<h2>The oldest ${Math.min(shown, ctx.pageSize)} of them</h2>
${entriesTable(ctx, matching.slice(0, Math.min(shown, ctx.pageSize)), { errors: true })}`,
  };
}
