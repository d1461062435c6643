import type { RefusalSnapshot } from '../telemetry/refusal-tally';
import type { Html } from './html';
import { html, time } from './html';

/**
 * The deliveries this process refused (wrong credentials, content type, schema): they never reach storage, so
 * this is the one place the console can show them, and it shows only this instance's, since it started.
 */
export function refusalsPanel(tally: RefusalSnapshot): Html {
  const since = time(tally.since);
  const scope = html`<p class="muted">Counted by this process since it started (${since}): each instance counts its own and a restart starts again
at zero. Refused deliveries are never stored; the metric <code>ntw.deliveries</code> with <code>ntw.outcome="refused"</code> counts them across instances.</p>`;
  if (tally.rows.length === 0 && tally.untallied === 0) return html`<h2>Refused by this instance since it started</h2>\n${scope}\n<p class="muted">None since ${since}.</p>`;
  return html`<h2>Refused by this instance since it started</h2>
${scope}
<table aria-label="Refused by provider and code"><thead><tr><th>Provider</th><th class="num">HTTP status</th><th>Code</th><th class="num">Refused</th><th>Last</th></tr></thead>
<tbody>${tally.rows.map((row) => html`<tr><td>${row.provider}</td><td class="num">${row.status}</td><td><code>${row.code}</code></td><td class="num">${row.count}</td><td>${time(row.last)}</td></tr>`)}</tbody></table>${
  tally.untallied > 0 ? html`\n<p class="muted">${tally.untallied} more refused, of kinds past the ${tally.rows.length} rows kept: not broken down.</p>` : ''}`;
}
