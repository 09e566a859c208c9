// The console's building blocks: escaping of hostile text, the fragments the timeline swaps in (live tokens
// included), and session cookies and CSRF tokens that only this API can make.
import { describe, expect, it } from 'vitest';
import { html } from '../../api/ui/html.ts';
import { eventFragment, liveFragment } from '../../api/ui/pages/round.ts';
import { SessionCookies } from '../../api/ui/session-cookie.ts';

describe('console html', () => {
  it('escapes every interpolated value and shows invisible characters', () => {
    const hostile = `<img src=x onerror="alert(1)">'\u202egol.txt\u200b`;
    expect(html`<p title="${hostile}">${hostile}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;\\u202egol.txt\\u200b">' +
        '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;\\u202egol.txt\\u200b</p>',
    );
    expect(html`<div>${html`<b>${'<i>'}</b>`}</div>`.value).toBe('<div><b>&lt;i&gt;</b></div>');
  });

  it('appends streamed tokens escaped, per step, and drops a step on token_reset', () => {
    expect(liveFragment({ type: 'token', step: 2, attempt: 1, seq: 0, text: '<script>x</script>' }).value).toBe(
      '<span class="live-step-2">&lt;script&gt;x&lt;/script&gt;</span>',
    );
    expect(liveFragment({ type: 'token_reset', step: 2, attempt: 2 }).value).toBe(
      '<span hx-swap-oob="delete:#live-answer .live-step-2"></span>',
    );
  });

  it('replaces the answer area with the final answer, escaped', () => {
    const fragment = eventFragment({
      type: 'round_completed',
      id: 7,
      at: '2026-01-01T00:00:00.000Z',
      answer: 'done <b>\u202e</b>',
      steps: 2,
    }).value;
    expect(fragment).toContain(
      '<div id="live-answer" class="answer" hx-swap-oob="true">done &lt;b&gt;\\u202e&lt;/b&gt;</div>',
    );
  });
});

describe('console sessions', () => {
  const cookies = new SessionCookies(Buffer.alloc(32, 7), 60_000);

  it('opens what it issued, until it expires, and nothing altered or signed with another key', () => {
    const { value, session } = cookies.issue('alice', 1_000);
    expect(cookies.open(value, 2_000)).toEqual(session);
    expect(cookies.open(value, 61_000)).toBeUndefined();
    const [version, body, mac] = value.split('.');
    const forged = Buffer.from(JSON.stringify({ p: 'admin', sid: session.sessionId, exp: 61_000 })).toString(
      'base64url',
    );
    expect(cookies.open(`${version}.${forged}.${mac}`, 2_000)).toBeUndefined();
    expect(new SessionCookies(Buffer.alloc(32, 8), 60_000).open(value, 2_000)).toBeUndefined();
    expect(cookies.open(`${version}.${body}`, 2_000)).toBeUndefined();
  });

  it('accepts only the CSRF token of the same session', () => {
    const { session } = cookies.issue('alice');
    const other = cookies.issue('alice').session;
    expect(cookies.checkCsrf(session, cookies.csrfToken(session))).toBe(true);
    expect(cookies.checkCsrf(session, cookies.csrfToken(other))).toBe(false);
    expect(cookies.checkCsrf(session, undefined)).toBe(false);
  });
});
