// Round loop on a real dev server and worker: steps, parallel calls across servers, name resolution,
// duplicate reuse, truncation, and a third-party MCP server from npm.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusAttribute, decideSignal } from '../../workflows/contract.ts';
import { startHarness, waitForPendingApprovals, type Harness } from '../support/round-harness.ts';
import { ToolsAttribute } from '../../workflows/contract.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { lastToolMessages, messageText, scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { signedDecision } from '../../testkit/signing.ts';

const everythingServer = join(process.cwd(), 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

describe('query rounds', () => {
  let harness: Harness;
  let http: HttpMcpServer;
  let stdioLog: string;

  const stdioCalls = () =>
    existsSync(stdioLog)
      ? readFileSync(stdioLog, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { tool: string; arguments: Record<string, unknown> })
      : [];

  beforeAll(async () => {
    http = await startHttpMcpServer({ name: 'web' });
    stdioLog = join(mkdtempSync(join(tmpdir(), 'toolgate-stdio-')), 'calls.jsonl');
    harness = await startHarness({
      round: { maxSteps: 3, toolOutputChars: 1000 },
      servers: [
        {
          name: 'local',
          transport: 'stdio',
          command: process.execPath,
          args: ['testkit/mcp-stdio-server.ts'],
          env: { MCP_SERVER_NAME: 'local', MCP_CALL_LOG: stdioLog },
          trusted: true,
          approval: 'annotations',
        },
        { name: 'web', transport: 'http', url: http.url, trusted: true, approval: 'annotations' },
        {
          name: 'everything',
          transport: 'stdio',
          command: process.execPath,
          args: [everythingServer, 'stdio'],
          trusted: true,
          approval: 'never',
        },
      ],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await http?.close();
  });

  it('answers without tools in one step', async () => {
    harness.routes['m-plain'] = scriptedSteps({ content: 'the answer is 42' });
    const handle = await harness.start({ query: 'm-plain what is the answer?' });
    const result = await handle.result();
    expect(result.answer).toBe('the answer is 42');
    expect(result.steps).toBe(1);
    expect(result.toolCalls).toEqual([]);
    expect(result.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(StatusAttribute)).toBe('completed');
  });

  it('runs parallel calls on two MCP servers and gives both results to the model', async () => {
    harness.routes['m-parallel'] = scriptedSteps(
      {
        toolCalls: [
          { name: 'local__add', arguments: { a: 2, b: 3 } },
          { name: 'web__add', arguments: { a: 10, b: 20 } },
        ],
      },
      { content: 'sums computed' },
    );
    const handle = await harness.start({ query: 'm-parallel add things' });
    const result = await handle.result();
    expect(result.answer).toBe('sums computed');
    expect(result.toolCalls.map((call) => [call.server, call.outcome, call.content])).toEqual([
      ['local', 'succeeded', '5'],
      ['web', 'succeeded', '30'],
    ]);
    const second = harness.llm.requests.filter((request) =>
      messageText(request.body.messages[0]).includes('m-parallel'),
    )[1]!;
    expect(lastToolMessages(second).map((message) => messageText(message))).toEqual(['5', '30']);
    expect(http.calls.filter((call) => call.tool === 'add')).toHaveLength(1);
    expect(http.calls.find((call) => call.tool === 'add')?.meta).toMatchObject({
      toolgate: { roundId: handle.workflowId },
    });
    // An operator finds every round that called a tool.
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(ToolsAttribute)).toEqual(['local/add', 'web/add']);
    await expect
      .poll(
        async () => {
          const found: string[] = [];
          for await (const round of harness.client.workflow.list({
            query: `ToolgateTools = "web/add" AND WorkflowId = "${handle.workflowId}"`,
          }))
            found.push(round.workflowId);
          return found;
        },
        { timeout: 10_000 },
      )
      .toEqual([handle.workflowId]);
  });

  it('disables tools on the last step when maxSteps is reached', async () => {
    harness.routes['m-steps'] = (request, index) =>
      request.body.tool_choice === 'none'
        ? { content: `gave up after ${index} tool steps` }
        : { toolCalls: [{ name: 'web__echo', arguments: { message: `again ${index}` } }] };
    const handle = await harness.start({ query: 'm-steps loop forever' });
    const result = await handle.result();
    expect(result.steps).toBe(3);
    expect(result.answer).toBe('gave up after 2 tool steps');
    const requests = harness.llm.requests.filter((request) =>
      messageText(request.body.messages[0]).includes('m-steps'),
    );
    expect(requests.map((request) => request.body.tool_choice)).toEqual(['auto', 'auto', 'none']);
  });

  it('answers unknown tools, ambiguous names and bad JSON to the model without calling anything', async () => {
    const before = http.calls.length + stdioCalls().length;
    harness.routes['m-invalid'] = scriptedSteps(
      {
        toolCalls: [
          { name: 'drop_database', arguments: {} },
          { name: 'echo', arguments: { message: 'which one?' } },
          { name: 'web__echo', arguments: '{"message": ' },
          { name: 'web__echo', arguments: '[1,2]' },
        ],
      },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'm-invalid' })).result();
    expect(result.toolCalls.map((call) => call.outcome)).toEqual(['invalid', 'invalid', 'invalid', 'invalid']);
    expect(result.toolCalls[0]!.content).toContain("Tool 'drop_database' is not available");
    expect(result.toolCalls[1]!.content).toMatch(/ambiguous: use one of .*local__echo.*web__echo/);
    expect(result.toolCalls[2]!.content).toContain('not valid JSON');
    expect(result.toolCalls[3]!.content).toContain('must be a JSON object');
    for (const call of result.toolCalls) expect(call.content).toContain('Do not retry this exact tool call.');
    expect(http.calls.length + stdioCalls().length).toBe(before);
  });

  it('shares identical read-only calls of one reply, and runs a repeat in a later step again', async () => {
    const echo = { name: 'local__echo', arguments: { message: 'm-dup once' } };
    harness.routes['m-dup'] = scriptedSteps({ toolCalls: [echo, echo] }, { toolCalls: [echo] }, { content: 'done' });
    const result = await (await harness.start({ query: 'm-dup' })).result();
    expect(result.toolCalls).toHaveLength(3);
    expect(result.toolCalls[1]!.reusedFrom).toBe(result.toolCalls[0]!.toolCallId);
    expect(result.toolCalls[1]!.content).toBe('echo: m-dup once');
    expect(result.toolCalls[2]!.reusedFrom).toBeUndefined();
    expect(result.toolCalls[2]).toMatchObject({ outcome: 'succeeded', attempts: 1 });
    expect(stdioCalls().filter((call) => call.arguments.message === 'm-dup once')).toHaveLength(2);
  });

  it('runs identical writes of one reply separately, each behind its own approval', async () => {
    const write = { name: 'web__write_record', arguments: { key: 'm-dup-write' } };
    harness.routes['m-dup-write'] = scriptedSteps({ toolCalls: [write, write] }, { content: 'done' });
    const handle = await harness.start({ query: 'm-dup-write' });
    const pending = await waitForPendingApprovals(handle, 2);
    for (const approval of pending) {
      await handle.signal(
        decideSignal,
        signedDecision({
          approvalId: approval.approvalId,
          decision: 'approve',
          approver: { id: 'alice', channel: 'cli' },
        }),
      );
    }
    const result = await handle.result();
    expect(result.toolCalls.map((call) => [call.outcome, call.reusedFrom])).toEqual([
      ['succeeded', undefined],
      ['succeeded', undefined],
    ]);
    expect(http.calls.filter((call) => call.arguments.key === 'm-dup-write')).toHaveLength(2);
  });

  it('truncates large tool output to the budget with a marker', async () => {
    harness.routes['m-big'] = scriptedSteps(
      { toolCalls: [{ name: 'web__big_output', arguments: { chars: 50_000 } }] },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'm-big' })).result();
    const call = result.toolCalls[0]!;
    expect(call.truncated).toBe(true);
    expect(call.content.length).toBeLessThanOrEqual(1000);
    expect(call.content).toMatch(/\[OUTPUT TRUNCATED: showing the first \d+ of 50000 characters/);
  });

  it('calls a third-party MCP server from npm (server-everything over stdio)', async () => {
    harness.routes['m-everything'] = scriptedSteps(
      { toolCalls: [{ name: 'get-sum', arguments: { a: 7, b: 35 } }] },
      { content: 'summed' },
    );
    const result = await (await harness.start({ query: 'm-everything' })).result();
    expect(result.toolCalls[0]).toMatchObject({ server: 'everything', tool: 'get-sum', outcome: 'succeeded' });
    expect(result.toolCalls[0]!.content).toContain('42');
  });

  it('fails a round started with malformed input, with a clear message', async () => {
    const handle = await harness.start({ query: '  ', requester: 'carol' });
    const error = await handle.result().catch((failure: unknown) => failure as WorkflowFailedError);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause?.message).toBe('Invalid round input: query must be a non-empty string');
  });

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});
