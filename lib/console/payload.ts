import type { Entry } from '../storage/storage';
import { payloadRedactor } from '../redact';
import type { Html } from './html';
import { html } from './html';
import type { PageContext } from './context';

/** The most of a payload shown; the rest is cut (the ledger keeps it all). */
const SHOWN_BYTES = 64 * 1024;

/** The redaction of what is stored, done again: a payload stored by an older release, or a provider's own fields, shows no card number either way. */
const redactAgain = payloadRedactor();

/**
 * The payload an entry keeps, as stored: redacted when received (secrets, card numbers, emails), never the sealed
 * clear copy an encryption key opens. A quarantined delivery's too: what the schema or the mapping could not read.
 */
export function storedPayload(ctx: PageContext, entry: Entry): Html {
  let payload: unknown;
  try {
    payload = ctx.source.storedPayload(entry.body);
  } catch {
    return html`<p class="muted">Its stored body is not one this release can read.</p>`;
  }
  if (payload === undefined || payload === null) return html`<p class="muted">No payload stored with it.</p>`;
  const text = JSON.stringify(redactAgain(payload), null, 2);
  const cut = text.length > SHOWN_BYTES;
  return html`<pre class="payload" aria-label="Payload">${cut ? text.slice(0, SHOWN_BYTES) : text}</pre>${cut
    ? html`\n<p class="muted">The first ${SHOWN_BYTES / 1024} KB of ${Math.ceil(text.length / 1024)} KB are shown.</p>` : ''}`;
}
