// Scenario: what the MCP gateway adds to a tool call. One MCP SDK Client over Streamable HTTP calls the test
// server's read-only `echo` directly, another calls `k8s__echo` through the API's /mcp (bearer token: a round
// without an LLM on the worker); calls alternate one by one, so drift of the machine hits both alike. Then gated
// calls (`k8s__delete_pod`) through the gateway: from just before the approver's POST /v1/approvals/{id} to the
// MCP server's receipt of the call and to the result at the client.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { stateQuery } from '../../workflows/contract.ts';
import type { queryRound } from '../../workflows/query-round.ts';
import { REQUESTER, TOKENS, type BenchEnv } from '../setup.ts';
import { round2, summarize, type Summary } from '../stats.ts';
import { sleep } from '../system.ts';

export interface GatewayResult {
  calls: number;
  /** tools/call of `echo` straight to the MCP server, answered at the client. */
  direct: Summary;
  /** tools/call of `k8s__echo` through the API's /mcp, answered at the client. */
  gateway: Summary;
  /** gateway − direct, from the medians and from the 99th percentiles. */
  addedMs: { p50: number; p99: number };
  gated?: {
    calls: number;
    /** POST /v1/approvals/{id} sent → the MCP server receives the call. */
    decisionToCall: Summary;
    /** POST /v1/approvals/{id} sent → the gateway's result at the client. */
    decisionToResult: Summary;
  };
}

const GAP_MS = 5;

async function connect(url: string, token?: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
  });
  const client = new Client({ name: 'toolgate-bench', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
}

async function timedCall(client: Client, name: string, message: string): Promise<number> {
  const started = performance.now();
  const result = (await client.callTool({ name, arguments: { message } })) as CallToolResult;
  const ms = performance.now() - started;
  if (result.isError || !textOf(result).includes(message))
    throw new Error(`${name} answered ${JSON.stringify(result).slice(0, 300)}`);
  return ms;
}

/** One gated call: waits for its approval (progress notice), approves it over HTTP, times what follows. */
async function gatedCall(env: BenchEnv, client: Client, index: number): Promise<{ toCall: number; toResult: number }> {
  let opened: (notice: { roundId: string; approvalId: string }) => void = () => undefined;
  const approval = new Promise<{ roundId: string; approvalId: string }>((resolve) => (opened = resolve));
  let resultAt = 0;
  const result = client
    .callTool({ name: 'k8s__delete_pod', arguments: { namespace: 'bench', name: `pod-${index}` } }, undefined, {
      // The notice naming the approval (keep-alive notices name none).
      onprogress: (notice) => {
        const meta = (notice as { _meta?: Record<string, unknown> })._meta ?? {};
        const [roundId, approvalId] = [meta['toolgate/roundId'], meta['toolgate/approvalId']];
        if (typeof roundId === 'string' && typeof approvalId === 'string') opened({ roundId, approvalId });
      },
      timeout: 60_000,
    })
    .then((value) => {
      resultAt = performance.now();
      return value as CallToolResult;
    });
  const { roundId, approvalId } = await approval;
  const handle = env.client.workflow.getHandle<typeof queryRound>(roundId);
  const { argsDigest } = (await handle.query(stateQuery)).approvals[0]!;
  await sleep(GAP_MS);
  const received = env.recorder.expect(roundId);
  const sentAt = performance.now();
  const response = await fetch(`${env.apiUrl}/v1/approvals/${encodeURIComponent(approvalId)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'application/json' },
    body: JSON.stringify({ decision: 'approve', argsDigest }),
  });
  if (response.status !== 202)
    throw new Error(`decision ${approvalId}: HTTP ${response.status} ${await response.text()}`);
  const call = await received;
  const settled = await result;
  if (settled.isError) throw new Error(`approved ${approvalId} answered ${JSON.stringify(settled).slice(0, 300)}`);
  return { toCall: call.hrAt - sentAt, toResult: resultAt - sentAt };
}

export async function gatewayOverhead(
  env: BenchEnv,
  settings: { calls: number; warmup: number; gated: number },
): Promise<GatewayResult> {
  const direct = await connect(env.mcp.url);
  // The requester of the bench's rounds; the approver is another principal.
  const gateway = await connect(`${env.apiUrl}/mcp`, TOKENS[REQUESTER]);
  try {
    const samples = { direct: [] as number[], gateway: [] as number[] };
    for (let i = 0; i < settings.warmup + settings.calls; i++) {
      const message = `gateway bench ${i}`;
      const first = i % 2 === 0 ? 'direct' : 'gateway';
      for (const side of first === 'direct' ? (['direct', 'gateway'] as const) : (['gateway', 'direct'] as const)) {
        const ms =
          side === 'direct' ? await timedCall(direct, 'echo', message) : await timedCall(gateway, 'k8s__echo', message);
        if (i >= settings.warmup) samples[side].push(ms);
        await sleep(GAP_MS);
      }
      if (i % 50 === 49) process.stderr.write(`  gateway calls: ${i + 1}/${settings.warmup + settings.calls}\n`);
    }
    const d = summarize(samples.direct);
    const g = summarize(samples.gateway);
    const result: GatewayResult = {
      calls: settings.calls,
      direct: d,
      gateway: g,
      addedMs: { p50: round2(g.p50 - d.p50), p99: round2(g.p99 - d.p99) },
    };
    if (settings.gated > 0) {
      const toCall: number[] = [];
      const toResult: number[] = [];
      for (let i = 0; i < settings.gated; i++) {
        const sample = await gatedCall(env, gateway, i);
        toCall.push(sample.toCall);
        toResult.push(sample.toResult);
      }
      result.gated = {
        calls: settings.gated,
        decisionToCall: summarize(toCall),
        decisionToResult: summarize(toResult),
      };
    }
    return result;
  } finally {
    await direct.close();
    await gateway.close();
  }
}
