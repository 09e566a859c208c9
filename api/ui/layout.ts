// The console's page shell: styles and scripts from /ui/assets only (the Content-Security-Policy allows nothing
// else), htmx configured by a meta tag (no eval, no inline styles), and the navigation with sign-out.
import { html, type Html } from './html.ts';

/** What a signed-in page needs of its reader. */
export interface Reader {
  principal: string;
  csrf: string;
  /** Signed in by the reverse proxy: signing out is the proxy's business. */
  viaProxy: boolean;
}

const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
});

/** Hidden CSRF field of every form a signed-in page posts. */
export function csrfField(reader: Reader): Html {
  return html`<input type="hidden" name="_csrf" value="${reader.csrf}" />`;
}

function navigation(reader: Reader): Html {
  return html`<nav aria-label="Console">
    <a href="/ui/approvals">Approvals</a>
    <a href="/ui/rounds">My rounds</a>
    <span class="who">Signed in as <strong>${reader.principal}</strong></span>
    ${
      reader.viaProxy
        ? ''
        : html`<form method="post" action="/ui/sign-out" class="inline">
            ${csrfField(reader)}<button type="submit">Sign out</button>
          </form>`
    }
  </nav>`;
}

export function page(title: string, body: Html, reader?: Reader): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content="${HTMX_CONFIG}" />
        <title>${title} · toolgate</title>
        <link rel="stylesheet" href="/ui/assets/console.css" />
        <script src="/ui/assets/htmx.min.js" defer></script>
        <script src="/ui/assets/htmx-ext-sse.js" defer></script>
        <script src="/ui/assets/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header><span class="brand">toolgate</span>${reader ? navigation(reader) : ''}</header>
        <main id="main">${body}</main>
      </body>
    </html> `.value;
}
