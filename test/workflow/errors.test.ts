// Failure classification end to end: what is retried, how often, and what the model is told.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsQuery, stateQuery } from '../../workflows/contract.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { lastToolMessages, messageText, scriptedSteps } from '../../testkit/scripted-llm-server.ts';

describe('tool and LLM failures', () => {
  let harness: Harness;
  let k8s: HttpMcpServer;
  let flaky: HttpMcpServer;
  let gone: HttpMcpServer;
  let flakyStatus: number | undefined;
  let flakyFailuresLeft = 0;
  const flakyHits: number[] = [];
  const retry = { maxAttempts: 3, initialDelay: '100ms', maxDelay: '500ms' };
  const stdioLog = join(mkdtempSync(join(tmpdir(), 'toolgate-errors-')), 'calls.jsonl');
  const stdioCalls = (key: string) =>
    existsSync(stdioLog)
      ? readFileSync(stdioLog, 'utf8')
          .split('\n')
          .filter((line) => line.includes(key))
      : [];

  beforeAll(async () => {
    k8s = await startHttpMcpServer({ name: 'k8s' });
    flaky = await startHttpMcpServer({
      name: 'flaky',
      failWith: () => {
        if (flakyFailuresLeft <= 0) return undefined;
        flakyFailuresLeft--;
        flakyHits.push(Date.now());
        return flakyStatus;
      },
    });
    gone = await startHttpMcpServer({ name: 'gone' });
    harness = await startHarness({
      servers: [
        { name: 'k8s', transport: 'http', url: k8s.url, trusted: true, approval: 'never', timeout: '1s', retry },
        { name: 'flaky', transport: 'http', url: flaky.url, trusted: true, approval: 'never', retry },
        { name: 'gone', transport: 'http', url: gone.url, trusted: true, approval: 'never', retry },
        {
          name: 'box',
          transport: 'stdio',
          command: process.execPath,
          args: ['testkit/mcp-stdio-server.ts'],
          env: { MCP_SERVER_NAME: 'box', MCP_CALL_LOG: stdioLog },
          trusted: true,
          approval: 'never',
          retry,
        },
      ],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await Promise.all([k8s?.close(), flaky?.close()]);
  });

  const calls = (server: HttpMcpServer, tool: string) => server.calls.filter((call) => call.tool === tool);

  it('gives an isError result to the model after exactly one attempt', async () => {
    harness.routes['e-iserror'] = scriptedSteps(
      { toolCalls: [{ name: 'k8s__fail', arguments: { reason: 'quota exceeded in e-iserror' } }] },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'e-iserror' })).result();
    expect(result.toolCalls[0]).toMatchObject({
      outcome: 'tool_error',
      attempts: 1,
      content: 'quota exceeded in e-iserror',
    });
    expect(calls(k8s, 'fail')).toHaveLength(1);
  });

  it('does not retry a call the server refuses with a JSON-RPC invalid-params error', async () => {
    harness.routes['e-params'] = scriptedSteps(
      { toolCalls: [{ name: 'k8s__strict_echo', arguments: { message: 'reject' } }] },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'e-params' })).result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'invalid', attempts: 1 });
    expect(result.toolCalls[0]!.content).toMatch(
      /^Invalid tool call: strict_echo: MCP error -32602: Invalid params: message "reject" is not allowed\. Do not retry/,
    );
  });

  it("gives an SDK server's invalid-params result (isError) to the model after one attempt", async () => {
    harness.routes['e-sdkparams'] = scriptedSteps(
      { toolCalls: [{ name: 'k8s__add', arguments: { a: 'e-sdkparams', b: 1 } }] },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'e-sdkparams' })).result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'tool_error', attempts: 1 });
    expect(result.toolCalls[0]!.content).toContain('-32602');
  });

  const recorded = (tool: string, key: string) => calls(k8s, tool).filter((call) => call.arguments.key === key);
  const toldUnknown = (marker: string) => {
    const second = harness.llm.requests.filter((request) => messageText(request.body.messages[0]).includes(marker))[1];
    return messageText(lastToolMessages(second!)[0]);
  };

  it('runs a write whose connection broke after it took effect once, and says its outcome is unknown', async () => {
    harness.routes['e-reset'] = scriptedSteps(
      { toolCalls: [{ name: 'k8s__write_record', arguments: { key: 'e-reset', fault: 'reset' } }] },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'e-reset' })).result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'outcome_unknown', attempts: 1 });
    expect(recorded('write_record', 'e-reset')).toHaveLength(1);
    expect(toldUnknown('e-reset')).toMatch(
      /may or may not have taken effect .*its outcome is unknown.*check whether it took effect/,
    );
  });

  it('runs a write answered 502 after it took effect once, and says its outcome is unknown', async () => {
    harness.routes['e-502'] = scriptedSteps(
      { toolCalls: [{ name: 'k8s__write_record', arguments: { key: 'e-502', fault: '502' } }] },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'e-502' })).result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'outcome_unknown', attempts: 1 });
    expect(recorded('write_record', 'e-502')).toHaveLength(1);
    expect(toldUnknown('e-502')).toContain('its outcome is unknown');
  });

  it('retries a read whose connection broke, since reading twice is harmless', async () => {
    harness.routes['e-readreset'] = scriptedSteps(
      { toolCalls: [{ name: 'k8s__read_record', arguments: { key: 'e-readreset', fault: 'reset' } }] },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'e-readreset' })).result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'failed', attempts: 3 });
    expect(recorded('read_record', 'e-readreset')).toHaveLength(3);
  });

  it('runs a write on a stdio server that dies mid-call once, and says its outcome is unknown', async () => {
    harness.routes['e-crash'] = scriptedSteps(
      { toolCalls: [{ name: 'box__crash', arguments: { key: 'e-crash' } }] },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'e-crash' })).result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'outcome_unknown', attempts: 1 });
    expect(stdioCalls('e-crash')).toHaveLength(1);
    expect(toldUnknown('e-crash')).toContain('its outcome is unknown');
  });

  it('reports a call cancelled while it runs as outcome unknown, not as never run', async () => {
    harness.routes['e-cancel'] = scriptedSteps(
      { toolCalls: [{ name: 'k8s__slow', arguments: { ms: 900 } }] },
      { content: 'ok' },
    );
    const handle = await harness.start({ query: 'e-cancel' });
    await expect
      .poll(() => calls(k8s, 'slow').filter((call) => call.arguments.ms === 900).length, { timeout: 10_000 })
      .toBe(1);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    const state = await handle.query(stateQuery);
    expect(state.toolCalls[0]).toMatchObject({ outcome: 'outcome_unknown', attempts: 1 });
    expect(state.toolCalls[0]!.content).toContain('cancelled while the call was running');
    const events = await handle.query(eventsQuery, 0);
    expect(events.events.find((event) => event.type === 'tool_result')).toMatchObject({ outcome: 'outcome_unknown' });
  });

  it('tries a non-idempotent tool that timed out exactly once and says the outcome is unknown', async () => {
    harness.routes['e-timeout'] = scriptedSteps(
      { toolCalls: [{ name: 'k8s__slow', arguments: { ms: 3000 } }] },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'e-timeout' })).result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'outcome_unknown', attempts: 1 });
    expect(result.toolCalls[0]!.content).toContain('outcome is unknown');
    expect(calls(k8s, 'slow').filter((call) => call.arguments.ms === 3000)).toHaveLength(1);
  });

  it('retries a read-only tool that timed out, then reports the failure', async () => {
    harness.routes['e-readtimeout'] = scriptedSteps(
      { toolCalls: [{ name: 'k8s__slow_read', arguments: { ms: 3000 } }] },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'e-readtimeout' })).result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'failed', attempts: 3 });
    expect(result.toolCalls[0]!.content).toMatch(/failed after 3 attempts: no result within 1000 ms\. Do not retry/);
    expect(calls(k8s, 'slow_read')).toHaveLength(3);
  });

  it('retries 503 honouring Retry-After, then succeeds', async () => {
    harness.routes['e-503'] = scriptedSteps(
      () => {
        flakyStatus = 503;
        flakyFailuresLeft = 2;
        flakyHits.length = 0;
        return { toolCalls: [{ name: 'flaky__echo', arguments: { message: 'e-503' } }] };
      },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'e-503' })).result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'succeeded', attempts: 3, content: 'echo: e-503' });
    expect(flakyHits).toHaveLength(2);
    const success = calls(flaky, 'echo').find((call) => call.arguments.message === 'e-503')!;
    // Retry-After: 1 means at least a second between attempts, far above the configured 100 ms backoff.
    expect(flakyHits[1]! - flakyHits[0]!).toBeGreaterThanOrEqual(900);
    expect(success.receivedAt - flakyHits[1]!).toBeGreaterThanOrEqual(900);
  });

  it('does not retry 401 and tells the model it is not authorized', async () => {
    harness.routes['e-401'] = scriptedSteps(
      () => {
        flakyStatus = 401;
        flakyFailuresLeft = 1;
        return { toolCalls: [{ name: 'flaky__echo', arguments: { message: 'e-401' } }] };
      },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'e-401' })).result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'failed', attempts: 1 });
    expect(result.toolCalls[0]!.content).toContain('not authorized');
    expect(flakyFailuresLeft).toBe(0);
  });

  it('retries when the connection is refused, then gives the model a final message', async () => {
    harness.routes['e-refused'] = scriptedSteps(
      async () => {
        await gone.close();
        return { toolCalls: [{ name: 'gone__echo', arguments: { message: 'e-refused' } }] };
      },
      { content: 'ok' },
    );
    const result = await (await harness.start({ query: 'e-refused' })).result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'failed', attempts: 3 });
    expect(result.toolCalls[0]!.content).toMatch(
      /failed after 3 attempts: cannot reach the MCP server \(ECONNREFUSED\)/,
    );
  });

  it('retries an LLM 429 honouring Retry-After, then completes', async () => {
    // 3 s is three times the first backoff of the LLM retry policy (1 s): only Retry-After explains the wait.
    harness.routes['e-llm429'] = scriptedSteps(
      { status: 429, headers: { 'retry-after': '3' } },
      { content: 'after the rate limit' },
    );
    const result = await (await harness.start({ query: 'e-llm429' })).result();
    expect(result.answer).toBe('after the rate limit');
    const requests = harness.llm.requests.filter((request) =>
      messageText(request.body.messages[0]).includes('e-llm429'),
    );
    expect(requests).toHaveLength(2);
    expect(requests[1]!.receivedAt - requests[0]!.receivedAt).toBeGreaterThanOrEqual(2900);
  });

  it('fails the round with a clear error when the LLM answers 400', async () => {
    harness.routes['e-llm400'] = scriptedSteps({
      status: 400,
      body: { error: { message: 'unsupported parameter: tools', type: 'invalid_request_error', code: 'bad_param' } },
    });
    const handle = await harness.start({ query: 'e-llm400' });
    const error = await handle.result().catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause?.message).toMatch(
      /Round failed: LLM request rejected, HTTP 400.*unsupported parameter: tools/,
    );
    const requests = harness.llm.requests.filter((request) =>
      messageText(request.body.messages[0]).includes('e-llm400'),
    );
    expect(requests).toHaveLength(1);
    expect((await handle.query(stateQuery)).status).toBe('failed');
    const events = await handle.query(eventsQuery, 0);
    expect(events.events.at(-1)).toMatchObject({ type: 'round_failed', error: { type: 'LlmRequestRejected' } });
  });

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});
