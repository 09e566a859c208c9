// Sign-in: an API token, posted once and never shown back, kept nowhere (the session cookie carries the principal).
import { html } from '../html.ts';
import { page } from '../layout.ts';

export function signInPage(error?: string): string {
  return page(
    'Sign in',
    html`<h1>Sign in</h1>
      <p>
        Use the API token you use with the CLI or the HTTP API. It is checked once; the console then keeps a session.
      </p>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      <form method="post" action="/ui/sign-in" class="stack">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        <button type="submit">Sign in</button>
      </form>`,
  );
}
