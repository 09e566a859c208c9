// Names from MCP servers reach Temporal Web UI, which renders summaries and current details as Markdown: only
// [A-Za-z0-9_.-] of them shows there. A real MCP server offers a tool named like a Markdown link.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultPayloadConverter } from '@temporalio/common';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideSignal } from '../../workflows/contract.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { signedDecision } from '../../testkit/signing.ts';
import { startHarness, waitForPendingApprovals, type Harness } from '../support/round-harness.ts';

/** A tool name that would render as a link in Markdown. */
const MARKDOWN_TOOL = '[x](https://evil.example)';

/** A real MCP server (stateless streamable HTTP) offering one tool under a Markdown name. */
async function startMarkdownMcp(): Promise<{ url: string; calls: unknown[]; close(): Promise<void> }> {
  const calls: unknown[] = [];
  const http = createServer((req, res) => {
    // The low-level server: McpServer would warn about the name on every request.
    const server = new Server({ name: 'md', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [{ name: MARKDOWN_TOOL, inputSchema: { type: 'object', properties: { n: { type: 'number' } } } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, (request) => {
      calls.push(request.params.arguments?.n);
      return { content: [{ type: 'text', text: 'marked' }] };
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void server.close());
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    calls,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

describe('display names in Temporal Web UI', () => {
  let harness: Harness;
  let markdown: Awaited<ReturnType<typeof startMarkdownMcp>>;

  beforeAll(async () => {
    markdown = await startMarkdownMcp();
    harness = await startHarness({
      servers: [{ name: 'md', transport: 'http', url: markdown.url, approval: 'always', approvers: ['alice'] }],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await markdown?.close();
  });

  it('shows only [A-Za-z0-9_.-] of an MCP tool name in summaries and details', { timeout: 60_000 }, async () => {
    const shown = 'md/_x__https___evil.example_';
    harness.routes['d-md'] = scriptedSteps(
      { toolCalls: [{ name: '_x__https___evil_example_', arguments: { n: 1 } }] },
      { content: 'marked' },
    );
    const handle = await harness.start({ query: 'd-md' });
    const [approval] = await waitForPendingApprovals(handle);
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain(`Waiting for approval: ${shown} (${approval!.approvalId}`);
    await handle.signal(
      decideSignal,
      signedDecision({
        approvalId: approval!.approvalId,
        decision: 'approve',
        approver: { id: 'alice', channel: 'cli' },
      }),
    );
    await handle.result();
    expect(markdown.calls).toEqual([1]);

    const history = await handle.fetchHistory();
    const summaries = (history.events ?? []).flatMap((event) =>
      event.userMetadata?.summary ? [defaultPayloadConverter.fromPayload<string>(event.userMetadata.summary)] : [],
    );
    expect(summaries).toEqual(
      expect.arrayContaining([`approval ${approval!.approvalId} (${shown})`, `step 1: ${shown}`]),
    );
    for (const summary of summaries) expect(summary).not.toMatch(/[[\]]|:\/\//);
  });

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});
