// `toolgate gateway --stdio` spawned as an MCP client spawns a local server: the SDK's StdioClientTransport
// running the CLI entry with the package's Node, the token in the environment.
import { execFile, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const NODE = join(process.cwd(), 'node_modules/.bin/node');
export const CLI = join(process.cwd(), 'cli/main.ts');

export interface BridgeProcess {
  client: Client;
  transport: StdioClientTransport;
  /** What the bridge wrote to stderr so far. */
  stderr(): string;
  /** Errors the client met reading the bridge's stdout (anything but MCP there would land here). */
  protocolErrors: Error[];
  /** Closes the client (stdin ends) and resolves with the bridge's exit code. */
  close(): Promise<number | null>;
}

export async function bridgeProcess(options: {
  url: string;
  token: string;
  args?: string[];
  env?: Record<string, string>;
  capabilities?: ConstructorParameters<typeof Client>[1];
  /** Called before connecting: request handlers for what the gateway asks the client (elicitation). */
  prepare?: (client: Client) => void;
}): Promise<BridgeProcess> {
  const transport = new StdioClientTransport({
    command: NODE,
    args: [CLI, 'gateway', '--stdio', '--url', options.url, ...(options.args ?? [])],
    env: { TOOLGATE_TOKEN: options.token, ...options.env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'gateway-stdio-test', version: '1.0.0' }, options.capabilities);
  const protocolErrors: Error[] = [];
  client.onerror = (error) => protocolErrors.push(error);
  options.prepare?.(client);
  await client.connect(transport);
  // The transport keeps its child private; the exit code is what a desktop client would log.
  const child = (transport as unknown as { _process: ChildProcess })._process;
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  let closed: Promise<number | null> | undefined;
  return {
    client,
    transport,
    stderr: () => stderr,
    protocolErrors,
    close: () => (closed ??= client.close().then(() => exited)),
  };
}

/** One CLI run with stdin closed at once: exit code, stdout and stderr. */
export function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      NODE,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}
