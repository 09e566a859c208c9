// A round harness with one trusted MCP server, `ops`, whose tools run without approval, and what tests of a model
// reply's tool calls ask of it: a round's LLM requests and the echo calls the server received, by marker.
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { messageText, type RecordedLlmRequest } from '../../testkit/scripted-llm-server.ts';
import { startHarness, type Harness } from './round-harness.ts';

export interface EchoStack {
  harness: Harness;
  mcp: HttpMcpServer;
  /** The LLM requests of the round whose query holds `marker`. */
  requestsOf: (marker: string) => RecordedLlmRequest[];
  /** The echo calls the server received whose message starts with `<marker>-`. */
  echoed: (marker: string) => HttpMcpServer['calls'];
  close(): Promise<void>;
}

/** `count` echo calls of one reply, their messages `<marker>-0`, `<marker>-1`, … */
export const echoes = (count: number, marker: string) =>
  Array.from({ length: count }, (_, index) => ({ name: 'echo', arguments: { message: `${marker}-${index}` } }));

export async function startEchoStack(): Promise<EchoStack> {
  const mcp = await startHttpMcpServer({ name: 'ops' });
  const harness = await startHarness({
    servers: [{ name: 'ops', transport: 'http', url: mcp.url, trusted: true, approval: 'never' }],
  }).catch(async (error: unknown) => {
    await mcp.close();
    throw error;
  });
  return {
    harness,
    mcp,
    requestsOf: (marker) =>
      harness.llm.requests.filter((request) => messageText(request.body.messages[0]).includes(marker)),
    echoed: (marker) =>
      mcp.calls.filter((call) => call.tool === 'echo' && String(call.arguments.message).startsWith(`${marker}-`)),
    async close() {
      await harness.close();
      await mcp.close();
    },
  };
}
