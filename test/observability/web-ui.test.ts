// Temporal Web UI as an operator uses it, in a real Chromium: the round link the API prints (and the CLI and
// the Slack card print the same) opens the round's page with its input, the approval timer labelled with the
// approval id and the activities labelled by step and tool; the workflow list filtered by
// ToolgatePendingApprovals finds the waiting round.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ChildService } from '../../testkit/child-processes.ts';
import { freePort } from '../../scripts/ports.ts';
import { startDevServer, type DevServer } from '../../scripts/dev-server.ts';
import { approveShown, apiRequester, firstApprovalId, TOKEN_CONFIG, type ApiHarness } from '../support/api-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import {
  routeByMarker,
  scriptedSteps,
  startScriptedLlmServer,
  type LlmScript,
  type ScriptedLlmServer,
} from '../../testkit/scripted-llm-server.ts';
import { spawnApi, spawnWorker, writeConfig } from '../../testkit/services.ts';
import { TEST_SIGNING } from '../../testkit/signing.ts';

const SERVER = 'ops';
const UI_TIMEOUT_MS = 30_000;

describe('Temporal Web UI', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-web-ui-'));
  const routes: Record<string, LlmScript> = {};
  let temporal: DevServer;
  let llm: ScriptedLlmServer;
  let mcp: HttpMcpServer;
  let worker: ChildService;
  let api: ChildService;
  let call: ApiHarness['request'];
  let browser: Browser;
  let lastRound: { roundId: string; approvalId: string } | undefined;

  beforeAll(async () => {
    temporal = await startDevServer({ ui: true, logOutput: join(folder, 'temporal.log') });
    llm = await startScriptedLlmServer(routeByMarker(routes));
    mcp = await startHttpMcpServer({ name: SERVER });
    const port = await freePort();
    call = apiRequester(`http://127.0.0.1:${port}`);
    const config = {
      temporal: { address: temporal.address, taskQueue: 'toolgate-web-ui' },
      llm: { baseURL: llm.baseURL, model: 'scripted' },
      approvals: { approvers: ['alice'] },
      signing: TEST_SIGNING,
      servers: [{ name: SERVER, transport: 'http', url: mcp.url, trusted: true }],
      api: {
        port,
        webUiUrl: temporal.uiUrl,
        tokens: TOKEN_CONFIG,
      },
    };
    worker = await spawnWorker(writeConfig(join(folder, 'worker.yaml'), config), 120_000);
    api = await spawnApi(writeConfig(join(folder, 'api.yaml'), config));
    browser = await chromium.launch({ executablePath: inject('chromiumPath'), headless: true, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop('SIGTERM');
    await worker?.stop('SIGTERM');
    await mcp?.close();
    await llm?.close();
    await temporal?.stop();
  });

  /** Waits until the page shows every text, naming the missing ones and what the page shows instead. */
  async function expectTexts(page: Page, texts: string[]): Promise<void> {
    const deadline = Date.now() + UI_TIMEOUT_MS;
    let missing = texts;
    while (Date.now() < deadline) {
      const body = await page.locator('body').innerText();
      missing = texts.filter((text) => !body.includes(text));
      if (missing.length === 0) return;
      await page.waitForTimeout(250);
    }
    const body = await page.locator('body').innerText();
    throw new Error(`${page.url()} does not show ${JSON.stringify(missing)}; it shows:\n${body.slice(0, 3000)}`);
  }

  it('opens the printed round link on the round, and the list filtered by pending approval finds it', async () => {
    const marker = `ui-${randomUUID()}`;
    routes[marker] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'web-1' } }] },
      { content: 'deleted' },
    );
    const started = await call('carol', 'POST', '/v1/rounds', { query: marker });
    expect(started.status).toBe(201);
    const roundId = started.body.roundId as string;
    const printed = started.body.links.webUi as string;
    expect(printed.startsWith(`${temporal.uiUrl}/namespaces/default/workflows/`)).toBe(true);
    const approvalId = await firstApprovalId(call, roundId);

    const page = await browser.newPage();
    try {
      const query = `ToolgatePendingApprovals = "${approvalId}"`;
      await page.goto(`${temporal.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
      await expectTexts(page, [roundId, 'Running']);

      expect((await approveShown(call, 'alice', approvalId)).status).toBe(202);
      await expect
        .poll(async () => (await call('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, { timeout: 20_000 })
        .toBe('completed');

      await page.goto(printed);
      await expectTexts(page, [
        roundId,
        'Completed',
        marker,
        `approval ${approvalId} (${SERVER}/delete_pod)`,
        `step 1: ${SERVER}/delete_pod`,
      ]);
    } finally {
      await page.close();
    }
    lastRound = { roundId, approvalId };
  });

  // This API runs without tracing: its lines still name the round and the approval, and no trace.
  it('binds round and approval ids to the log lines of an untraced API', () => {
    expect(lastRound).toBeDefined();
    const { roundId, approvalId } = lastRound!;
    const lines = api
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((entry) => entry.msg === 'round started' && entry.roundId === roundId)).toBe(true);
    expect(lines.some((entry) => entry.approvalId === approvalId && entry.roundId === roundId)).toBe(true);
    expect(lines.filter((entry) => 'traceId' in entry)).toEqual([]);
  });
});
