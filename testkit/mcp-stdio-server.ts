// Test MCP server over stdio. stdout carries only the protocol; diagnostics go to stderr.
import { appendFileSync } from 'node:fs';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createTestMcpServer } from './mcp-test-server.ts';

const callLog = process.env.MCP_CALL_LOG;
const server = createTestMcpServer({
  name: process.env.MCP_SERVER_NAME || 'stdio-test',
  // Synchronous append so the record survives the process being killed mid-call.
  onCall: callLog ? (call) => appendFileSync(callLog, `${JSON.stringify(call)}\n`) : undefined,
  // Dies mid-call: the call took effect (it is in the log) and no answer is ever sent.
  crash: () => process.exit(3),
});

// Exit when the client closes stdin, even if a slow tool still has a timer pending.
process.stdin.on('end', () => process.exit(0));

try {
  await server.connect(new StdioServerTransport());
} catch (error) {
  console.error('mcp-stdio-server failed to start:', error);
  process.exit(1);
}
