import type { Html } from './html';
import { href, html } from './html';

export type Section = 'overview' | 'events' | 'tokens' | 'inbox';

/**
 * The frame of every page: title, navigation, the token search, and the stylesheet served by the console itself.
 * With `refreshSeconds`, the browser reloads the page that often (a meta refresh: no script).
 */
export function layout(base: string, section: Section | undefined, title: string, body: Html, refreshSeconds?: number): string {
  const nav = (name: Section, page: string, label: string) =>
    html`<a href="${href(base, page)}"${name === section ? html` aria-current="page"` : ''}>${label}</a>`;
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
${refreshSeconds === undefined ? '' : html`<meta http-equiv="refresh" content="${refreshSeconds}">\n`}<title>${title} · token webhooks</title>
<link rel="stylesheet" href="${href(base, 'console.css')}">
</head>
<body>
<header>
<strong>token webhooks</strong>
<nav>${nav('overview', '', 'Overview')} ${nav('events', 'events', 'Events')} ${nav('tokens', 'tokens', 'Token timeline')} ${nav('inbox', 'inbox', 'Inbox and dead letters')}</nav>
</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.text}`;
}
