// The policy the model cannot talk around, on a real dev server and worker with real MCP servers: keys a lenient
// server would fold into a gated field, keys outside the schema or ASCII, a missing argument, and read-only tools
// that reach the open world all open an approval (which expires here) and never reach the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';

const PROD = { argument: 'namespace', matches: 'prod-*' };

describe('closed policy', () => {
  let harness: Harness;
  let k8s: HttpMcpServer;
  let web: HttpMcpServer;

  beforeAll(async () => {
    k8s = await startHttpMcpServer({ name: 'k8s' });
    web = await startHttpMcpServer({ name: 'web' });
    harness = await startHarness({
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: k8s.url,
          trusted: true,
          approvalTimeout: '1s',
          rules: [PROD],
          tools: {
            scale_deployment: { approval: 'never' },
            write_record: { approval: 'never', rules: [{ argument: 'key', matches: 'prod-*' }] },
            write_file: { approval: 'never' },
            delete_pod: { approval: 'never', rules: [{ ...PROD, whenAbsent: 'approve' }] },
          },
        },
        { name: 'web', transport: 'http', url: web.url, trusted: true, openWorld: 'trust', approvalTimeout: '1s' },
      ],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await k8s?.close();
    await web?.close();
  });

  /** Runs a round of one call; says whether it asked for approval and whether the server received the call. */
  async function oneCall(marker: string, name: string, args: Record<string, unknown>) {
    harness.routes[marker] = scriptedSteps({ toolCalls: [{ name, arguments: args }] }, { content: 'done' });
    const round = await (await harness.start({ query: marker })).result();
    const [call] = round.toolCalls;
    const reached = [...k8s.calls, ...web.calls].filter((recorded) => JSON.stringify(recorded).includes(marker));
    return { gated: call!.approvalId !== undefined, outcome: call!.outcome, reached: reached.length };
  }

  it('gates keys a case-folding server reads as the gated argument', async () => {
    const results = await Promise.all([
      oneCall('cp-long-s', 'k8s__scale_deployment', { nameſpace: 'prod-eu', name: 'cp-long-s', replicas: 1 }),
      oneCall('cp-upper', 'k8s__scale_deployment', { NAMESPACE: 'prod-eu', name: 'cp-upper', replicas: 1 }),
      oneCall('cp-kelvin', 'k8s__write_record', { '\u212Aey': 'prod-cp-kelvin' }),
      oneCall('cp-prod', 'k8s__scale_deployment', { namespace: 'prod-eu', name: 'cp-prod', replicas: 1 }),
      oneCall('cp-dev', 'k8s__scale_deployment', { namespace: 'dev', name: 'cp-dev', replicas: 1 }),
    ]);
    expect(results).toEqual([
      { gated: true, outcome: 'expired', reached: 0 },
      { gated: true, outcome: 'expired', reached: 0 },
      { gated: true, outcome: 'expired', reached: 0 },
      { gated: true, outcome: 'expired', reached: 0 },
      { gated: false, outcome: 'succeeded', reached: 1 },
    ]);
  });

  it('gates a non-ASCII key at any depth and a key the schema does not declare, even under approval: never', async () => {
    const env = (key: string) => [{ name: 'A', [key]: 'x' }];
    const results = await Promise.all([
      oneCall('cp-deep', 'k8s__write_file', { path: 'cp-deep', content: '', env: env('välue') }),
      oneCall('cp-extra', 'k8s__scale_deployment', { namespace: 'dev', name: 'cp-extra', replicas: 1, force: true }),
      oneCall('cp-ascii', 'k8s__write_file', { path: 'cp-ascii', content: '', env: env('value') }),
    ]);
    expect(results).toEqual([
      { gated: true, outcome: 'expired', reached: 0 },
      { gated: true, outcome: 'expired', reached: 0 },
      { gated: false, outcome: 'succeeded', reached: 1 },
    ]);
  });

  it('gates a call without an argument whose rule says whenAbsent: approve', async () => {
    const results = await Promise.all([
      oneCall('cp-absent', 'k8s__delete_pod', { name: 'cp-absent' }),
      oneCall('cp-null', 'k8s__delete_pod', { namespace: null, name: 'cp-null' }),
      oneCall('cp-present', 'k8s__delete_pod', { namespace: 'dev', name: 'cp-present' }),
    ]);
    expect(results).toEqual([
      { gated: true, outcome: 'expired', reached: 0 },
      { gated: true, outcome: 'expired', reached: 0 },
      { gated: false, outcome: 'succeeded', reached: 1 },
    ]);
  });

  it('waives approval for a read-only tool only when it is closed-world or its server is trusted with the open world', async () => {
    const results = await Promise.all([
      oneCall('cp-open', 'k8s__fetch_url', { url: 'https://example.com/cp-open' }),
      oneCall('cp-closed', 'k8s__echo', { message: 'cp-closed' }),
      oneCall('cp-trust', 'web__fetch_url', { url: 'https://example.com/cp-trust' }),
    ]);
    expect(results).toEqual([
      { gated: true, outcome: 'expired', reached: 0 },
      { gated: false, outcome: 'succeeded', reached: 1 },
      { gated: false, outcome: 'succeeded', reached: 1 },
    ]);
  });

  it('replays', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});
