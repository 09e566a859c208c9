// A tool entry in the config that names no tool of its server (a typo, or a tool the server renamed) would
// silently drop its policy, `approval: always` among it: the server's tools stay unavailable, and the round says why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';

describe('tool overrides', () => {
  let mcp: HttpMcpServer;
  let harness: Harness;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      approvals: { approvers: ['alice'] },
      servers: [
        // `delete_pdo` for `delete_pod`: the override the operator meant never applies.
        { name: 'k8s', transport: 'http', url: mcp.url, trusted: true, tools: { delete_pdo: { approval: 'always' } } },
        { name: 'fine', transport: 'http', url: mcp.url, trusted: true, tools: { delete_pod: { approval: 'always' } } },
      ],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
  });

  it('refuses a server whose config overrides a tool it does not offer, and offers the rest', async () => {
    harness.routes['o-typo'] = scriptedSteps({ content: 'nothing to do' });
    const result = await (await harness.start({ query: 'o-typo' })).result();
    expect(result.unavailableServers).toEqual([
      {
        server: 'k8s',
        error: expect.stringMatching(/'delete_pdo' under servers\.k8s\.tools, which the server does not offer/),
      },
    ]);
    const tools = (harness.llm.requests.at(-1)?.body.tools ?? []) as Array<{ function: { name: string } }>;
    const offered = tools.map((tool) => tool.function.name);
    // Bare names: one server offers them (both would be offered as `fine__delete_pod` and `k8s__delete_pod`).
    expect(offered).toContain('delete_pod');
    expect(offered.filter((name) => name.includes('__'))).toEqual([]);
  });

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBeGreaterThan(0);
  });
});
