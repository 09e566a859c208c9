// The console at /ui in a real Chromium against the real API, worker and Temporal: sign-in with API tokens, an
// approval appearing live, the full view and its approval (signed, channel web), the round's live timeline, the
// second approver's card closing, and what the console refuses: a wrong token, a forged form (no or a wrong
// CSRF token), a stale digest, and a non-approver (404 like the API). UPDATE_SCREENSHOTS=1 saves each page
// into docs/images/console-*.png.
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDevServer, type DevServer } from '../../scripts/dev-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { startApi, TOKENS, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startK8sApi, type K8sApi } from '../support/k8s-api.ts';

const UI_TIMEOUT_MS = 20_000;
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';

describe('console', () => {
  let temporal: DevServer;
  let stack: K8sApi;
  let api: ApiHarness;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    // A server of its own: the approvals page lists what waits across the namespace, other files' rounds too.
    temporal = await startDevServer({ ui: false });
    stack = await startK8sApi({ temporalAddress: temporal.address, approvers: ['alice', 'bob'] });
    api = stack.api;
    browser = await chromium.launch({ executablePath: inject('chromiumPath'), headless: true, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await temporal?.stop();
  });

  async function screenshot(page: Page, name: string) {
    if (SCREENSHOTS) await page.screenshot({ path: `docs/images/console-${name}.png`, fullPage: true });
  }

  /** A browser of its own for `person`, signed in through the form. */
  async function signIn(person: Person): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    await page.goto(`${api.url}/ui`);
    await page.getByLabel('API token').fill(TOKENS[person]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${api.url}/ui/approvals`);
    return page;
  }

  function startRound(marker: string, args: Record<string, unknown>) {
    stack.harness.routes[marker] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: args }] },
      { content: `The pod is gone <b>${marker}</b>` },
    );
    return api.request('carol', 'POST', '/v1/rounds', { query: `delete it ${marker}` });
  }

  it('refuses a wrong token and keeps the token out of the cookie', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${api.url}/ui/approvals`);
    expect(page.url()).toBe(`${api.url}/ui/sign-in`);
    await screenshot(page, 'sign-in');
    await page.getByLabel('API token').fill('not-a-token-0123456789');
    const answer = page.waitForResponse((response) => response.url().endsWith('/ui/sign-in'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect((await answer).status()).toBe(401);
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('not a valid API token');
    expect(await context.cookies()).toEqual([]);

    const alice = await signIn('alice');
    const [cookie] = await alice.context().cookies();
    expect(cookie).toMatchObject({ name: 'toolgate_session', httpOnly: true, sameSite: 'Strict', path: '/ui' });
    expect(cookie!.value).not.toContain(TOKENS.alice);
  });

  it('shows an approval live, approves it on its full view, and the round completes with its answer', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    const mallory = await signIn('mallory');
    const carol = await signIn('carol');
    await expect.poll(() => alice.locator('#approval-list').innerText()).toContain('Nothing waits');

    const marker = `console-${randomUUID().slice(0, 8)}`;
    const started = await startRound(marker, { namespace: 'prod', name: `web-<script>alert(1)</script>\u202e` });
    expect(started.status).toBe(201);
    const roundId = started.body.roundId as string;
    await carol.goto(`${api.url}/ui/rounds/${roundId}`);

    // The card appears without a reload, for both approvers, and never for mallory.
    const card = alice.locator('#approval-list [data-approval-id]');
    await card.first().waitFor();
    const approvalId = (await card.first().getAttribute('data-approval-id'))!;
    await bob.locator(`[data-approval-id="${approvalId}"]`).waitFor();
    await screenshot(alice, 'approvals');
    await mallory.reload();
    expect(await mallory.locator('[data-approval-id]').count()).toBe(0);
    const direct = await mallory.goto(`${api.url}/ui/approvals/${approvalId}`);
    expect(direct!.status()).toBe(404);
    expect((await api.request('mallory', 'GET', `/v1/approvals/${approvalId}`)).status).toBe(404);

    await alice.getByRole('link', { name: 'k8s/delete_pod' }).click();
    await alice.waitForURL(`${api.url}/ui/approvals/${approvalId}`);
    const args = await alice.getByLabel('Every argument', { exact: true }).innerText();
    expect(args).toContain('web-<script>alert(1)</script>\\u202e');
    expect(await alice.locator('script:not([src])').count()).toBe(0);
    await expect.poll(() => alice.locator('main').innerText()).toContain(`delete it ${marker}`);
    const view = (await api.request('alice', 'GET', `/v1/approvals/${approvalId}`)).body;
    expect(await alice.locator('.digest').innerText()).toBe(view.argsDigest);
    await screenshot(alice, 'approval');

    // Forged forms: no CSRF token, a wrong one, then the right one with a digest the page did not show.
    const action = `${api.url}/ui/approvals/${approvalId}/decision`;
    const csrf = await alice.locator('input[name=_csrf]').first().inputValue();
    const post = (form: Record<string, string>) => alice.request.post(action, { form, maxRedirects: 0 });
    const approve = { decision: 'approve', argsDigest: view.argsDigest as string };
    expect((await post(approve)).status()).toBe(403);
    expect((await post({ ...approve, _csrf: 'x'.repeat(csrf.length) })).status()).toBe(403);
    const stale = await post({ ...approve, argsDigest: '0'.repeat(64), _csrf: csrf, confirm: 'yes' });
    expect(stale.status()).toBe(422);
    expect(await stale.text()).toContain('is for other arguments');
    // The arguments hold an escaped bidi character: approving needs the explicit confirmation, as the CLI asks.
    expect(await alice.getByRole('listitem').filter({ hasText: 'shown escaped' }).count()).toBe(1);
    const unconfirmed = await post({ ...approve, _csrf: csrf });
    expect(unconfirmed.status()).toBe(400);
    expect(await unconfirmed.text()).toContain('Confirm that you read every argument');
    expect((await api.request('alice', 'GET', `/v1/approvals/${approvalId}`)).body.status).toBe('pending');

    await alice.getByRole('checkbox', { name: /I have read every argument/ }).check();
    await alice.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => alice.locator('.decided').innerText()).toContain('approved by alice via web');
    const decided = (await api.request('carol', 'GET', `/v1/approvals/${approvalId}`)).body;
    expect(decided.decision).toMatchObject({ decision: 'approve', approver: { id: 'alice', channel: 'web' } });

    // Bob's card closes; carol's timeline ends with the answer, escaped.
    await bob.locator(`[data-approval-id="${approvalId}"]`).waitFor({ state: 'detached' });
    await expect.poll(() => carol.locator('#live-answer').innerText()).toBe(`The pod is gone <b>${marker}</b>`);
    // The answer streams from the worker; the round's own completion event may reach the timeline just after it.
    await expect.poll(() => carol.locator('#timeline').innerText()).toContain('Completed');
    expect(await carol.locator('#timeline').innerText()).toContain('approved by alice via web');
    await screenshot(carol, 'round');
  });

  it('approves and remembers from the approval page: a grant of exactly these arguments for the TTL given', async () => {
    const alice = await signIn('alice');
    const marker = `console-grant-${randomUUID().slice(0, 8)}`;
    const roundId = (await startRound(marker, { namespace: 'dev', name: marker })).body.roundId as string;
    let approvalId: string | undefined;
    await expect
      .poll(
        async () =>
          (approvalId = (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.approvals?.[0]?.approvalId),
      )
      .toBeDefined();
    await alice.goto(`${api.url}/ui/approvals/${approvalId}`);
    await alice.getByRole('checkbox', { name: /Remember: carol's later calls of k8s\/delete_pod/ }).check();
    await alice.getByLabel('How long to remember').fill('2h');
    await alice.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => alice.locator('.decided').innerText()).toContain('approved by alice via web');
    let grants: Array<{ grantId: string; expiresAt: string; createdBy: object; proof: { receivedAt: string } }> = [];
    await expect
      .poll(async () => (grants = (await api.request('carol', 'GET', '/v1/grants')).body.grants), { timeout: 20_000 })
      .toHaveLength(1);
    expect(grants[0]!.createdBy).toEqual({ id: 'alice', channel: 'web' });
    expect(Date.parse(grants[0]!.expiresAt) - Date.parse(grants[0]!.proof.receivedAt)).toBe(2 * 3_600_000);
    expect((await api.request('alice', 'DELETE', `/v1/grants/${grants[0]!.grantId}`)).status).toBe(200);
  });

  it('spends the principal budget of a session like a bearer token', async () => {
    const limited = await startApi(stack.harness, {
      limits: { requests: { start: { perMinute: 30, burst: 10 }, read: { perMinute: 1, burst: 2 } } },
    });
    try {
      const signedIn = await limited.app.inject({
        method: 'POST',
        url: '/ui/sign-in',
        payload: `token=${TOKENS.alice}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(signedIn.statusCode).toBe(303);
      const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await limited.app.inject({ url: '/ui/rounds', headers: { cookie } })).statusCode);
      expect(statuses).toEqual([200, 200, 429]);
      // The same budget: alice's bearer requests are refused too.
      expect((await limited.request('alice', 'GET', '/v1/approvals')).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('takes the identity header from a trusted proxy only', async () => {
    const proxied = await startApi(stack.harness, {
      ui: { identityHeader: 'X-Forwarded-User', trustedProxies: ['10.0.0.7'] },
    });
    try {
      const ask = (remoteAddress: string) =>
        proxied.app.inject({
          url: '/ui/approvals',
          remoteAddress,
          headers: { 'x-forwarded-user': 'alice' },
        });
      const trusted = await ask('10.0.0.7');
      expect(trusted.statusCode).toBe(200);
      expect(trusted.body).toContain('Signed in as <strong>alice</strong>');
      const other = await ask('10.0.0.8');
      expect(other.statusCode).toBe(303);
      expect(other.headers.location).toBe('/ui/sign-in');
    } finally {
      await proxied.close();
    }
  });
});
