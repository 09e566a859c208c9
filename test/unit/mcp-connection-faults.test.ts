// One failed exchange with an HTTP MCP server must not take the other calls in flight on the pooled connection
// down with it: over Streamable HTTP every request is its own POST, so a 502 or a reset says nothing about them.
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCallTool } from '../../activities/call-tool.ts';
import { McpClientPool } from '../../mcp/client-pool.ts';
import { parseConfig } from '../../runtime/config.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { FailureType, type ToolCallRequest, type ToolCallResult } from '../../workflows/contract.ts';

const silentLogger: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('a failed exchange on a pooled HTTP MCP connection', () => {
  let server: HttpMcpServer;
  let pool: McpClientPool;
  let callTool: (request: ToolCallRequest) => Promise<ToolCallResult>;

  beforeAll(async () => {
    server = await startHttpMcpServer({ name: 'k8s' });
    const config = parseConfig(
      {
        llm: { baseURL: 'http://127.0.0.1:1/v1', model: 'm' },
        approvals: { approvers: ['alice'] },
        servers: [{ name: 'k8s', transport: 'http', url: server.url }],
      },
      'test',
    );
    pool = new McpClientPool(config.servers, pino({ level: 'silent' }));
    callTool = createCallTool(pool, 16_000, []);
  });
  afterAll(async () => {
    await pool.close();
    await server.close();
  });

  let sequence = 0;
  const call = (tool: string, args: Record<string, unknown>): Promise<ToolCallResult> => {
    const roundId = `faults-${++sequence}`;
    return new MockActivityEnvironment(
      { workflowExecution: { workflowId: roundId, runId: 'run' }, attempt: 1 },
      { logger: silentLogger },
    ).run(callTool, { server: 'k8s', tool, arguments: args, roundId, toolCallId: `c${sequence}`, timeoutMs: 10_000 });
  };
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => (error instanceof ApplicationFailure ? error.type : String(error)),
    );

  for (const fault of ['502', 'reset'] as const) {
    it(`a ${fault} on one call leaves the calls in flight beside it alone`, async () => {
      await call('echo', { message: 'connect first' });
      const slow = call('slow_read', { ms: 600 });
      const alsoSlow = call('slow_read', { ms: 700 });
      await new Promise((done) => setTimeout(done, 150));
      const broken = await failureOf(call('read_record', { key: `k-${fault}`, fault }));
      expect(broken).toBe(FailureType.McpOutcomeUnknown);
      await expect(slow).resolves.toMatchObject({ isError: false, text: 'slept 600' });
      await expect(alsoSlow).resolves.toMatchObject({ isError: false, text: 'slept 700' });
      // The connection still serves the next call.
      await expect(call('echo', { message: 'after' })).resolves.toMatchObject({ isError: false });
    });
  }

  it('a lost session (404) reconnects for the next call, and the calls in flight on the old one still finish', async () => {
    await call('echo', { message: 'connect first' });
    const slow = call('slow_read', { ms: 500 });
    await new Promise((done) => setTimeout(done, 100));
    server.forgetSessions();
    expect(await failureOf(call('echo', { message: 'on the lost session' }))).toBe(FailureType.McpNotSent);
    await expect(call('echo', { message: 'reconnected' })).resolves.toMatchObject({ text: 'echo: reconnected' });
    await expect(slow).resolves.toMatchObject({ isError: false, text: 'slept 500' });
  });
});
