import type { Attempt, Entry, EntryHistory } from '../storage/storage';
import type { Html } from './html';
import { html, time } from './html';

/** A row of the attempts table: a recorded line, a run that left no outcome, or the run under way. */
type Row =
  | { readonly kind: 'recorded'; readonly attempt: Attempt }
  | { readonly kind: 'lost'; readonly attempt: number }
  | { readonly kind: 'running'; readonly attempt: number; readonly until: Date };

/**
 * The attempt log as rows, with what it cannot hold filled in from the entry: a run that was counted (each run counts
 * when it starts) but recorded nothing ended with its process, or its lease ran out; the run under way is the last.
 * Counting starts again from 1 after a replay.
 */
export function attemptRows(entry: Entry, history: EntryHistory): Row[] {
  const rows: Row[] = [];
  // Nothing logged (stored by an earlier release): its count is all there is to show.
  if (history.attempts.length === 0) return entry.status === 'running' ? [{ kind: 'running', attempt: entry.attempts, until: entry.dueAt }] : [];
  let next = history.attempts[0]?.outcome === 'requeued' ? undefined : history.attempts[0]?.attempt;
  const lostUpTo = (attempt: number) => {
    for (; next !== undefined && next < attempt; next++) rows.push({ kind: 'lost', attempt: next });
  };
  for (const attempt of history.attempts) {
    if (attempt.outcome === 'requeued') {
      lostUpTo(attempt.attempt + 1);
      rows.push({ kind: 'recorded', attempt });
      next = 1;
      continue;
    }
    lostUpTo(attempt.attempt);
    rows.push({ kind: 'recorded', attempt });
    next = attempt.attempt + 1;
  }
  if (entry.status === 'running') {
    lostUpTo(entry.attempts);
    rows.push({ kind: 'running', attempt: entry.attempts, until: entry.dueAt });
  } else {
    lostUpTo(entry.attempts + 1);
  }
  return rows;
}

const OUTCOMES: Readonly<Record<Attempt['outcome'], string>> = {
  done: 'done: its handlers completed',
  failed: 'failed',
  dead: 'dead letter: no more attempts',
  requeued: 'replayed: made pending again',
};

/** Every attempt of an entry, oldest first, kept across replays. */
export function attemptsTable(entry: Entry, history: EntryHistory): Html {
  const rows = attemptRows(entry, history);
  if (rows.length === 0) {
    return html`<p class="muted">${entry.status === 'quarantined' ? 'None: a quarantined delivery runs only once replayed.'
      : entry.attempts > 0 ? `${entry.attempts} attempt(s), stored before attempts were logged, or by an instance of an earlier release: only their count is known.`
        : 'None yet.'}</p>`;
  }
  return html`<table aria-label="Attempts"><thead><tr><th>Time</th><th class="num">Attempt</th><th>Outcome</th><th>Error</th></tr></thead>
<tbody>${rows.map((row) => {
    switch (row.kind) {
      case 'recorded':
        return html`<tr><td>${time(row.attempt.at)}</td><td class="num">${row.attempt.outcome === 'requeued' ? '' : row.attempt.attempt}</td><td>${
          html`<span class="status status-${row.attempt.outcome === 'requeued' ? 'pending' : row.attempt.outcome}">${entry.type === 'unreadable' && row.attempt.outcome === 'done'
            ? 'closed: replayed as the event it now reads as' : OUTCOMES[row.attempt.outcome]}</span>`}${
          row.attempt.outcome === 'requeued' ? html` <span class="muted">after ${row.attempt.attempt} attempt(s)</span>` : ''}</td><td class="error mono">${row.attempt.error ?? ''}</td></tr>`;
      case 'lost':
        return html`<tr><td class="muted">unknown</td><td class="num">${row.attempt}</td><td>no outcome recorded</td><td class="muted">its process stopped, or its lease ran out, before it ended</td></tr>`;
      case 'running':
        return html`<tr><td>lease until ${time(row.until)}</td><td class="num">${row.attempt}</td><td><span class="status status-running">running</span></td><td></td></tr>`;
    }
  })}</tbody></table>`;
}
