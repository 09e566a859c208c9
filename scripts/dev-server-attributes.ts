// The dev server's readiness check (scripts/dev-server.ts): toolgate's search attributes on its namespace,
// registered where missing (runtime/search-attributes.ts). Run in the caller's process, or in a short-lived child
// for a process that should stay small (`npm start`'s supervisor): the Temporal client and its protobuf
// definitions are some 60 MB of RSS that a process keeps once it has loaded them.
//
// As a child: `node scripts/dev-server-attributes.ts --address A --namespace N --deadline MS` prints one JSON line.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

export type AttributeOutcome =
  /** Names still missing after registering them (a fresh server may take a moment to list them). */
  | { missing: string[] }
  /** What waiting will not cure: a name registered with another type, or no right to register. */
  | { refused: string };
/** The child's one line: an outcome, or why the server did not answer. */
type ChildAnswer = AttributeOutcome | { error: string };

/** The child's line, checked by hand: zod alone would be 16 MB of the supervisor this keeps small. */
function childAnswer(line: string): ChildAnswer {
  const value = JSON.parse(line) as Record<string, unknown>;
  if (Array.isArray(value.missing) && value.missing.every((name) => typeof name === 'string'))
    return { missing: value.missing };
  if (typeof value.refused === 'string') return { refused: value.refused };
  if (typeof value.error === 'string') return { error: value.error };
  throw new Error(`unexpected answer of the search attribute check: ${line}`);
}

export interface AttributeCheck {
  /** One attempt, given up at `deadline` (epoch ms); throws when the server did not answer. */
  ensure(deadline: number): Promise<AttributeOutcome>;
  close(): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);

export async function inProcessCheck(
  address: string,
  namespace: string,
  log: (line: string) => void,
): Promise<AttributeCheck> {
  const [{ Connection }, { SearchAttributeError, ensureSearchAttributes }] = await Promise.all([
    import('@temporalio/client'),
    import('../runtime/search-attributes.ts'),
  ]);
  // Lazy (Connection.connect minus its one-shot check): it connects on the first call, so calls to a server
  // still starting fail and are retried on the same channel. On loopback: never through an http(s)_proxy.
  const connection = Connection.lazy({ address, channelArgs: { 'grpc.enable_http_proxy': 0 } });
  return {
    async ensure(deadline) {
      try {
        return {
          missing: await connection.withDeadline(deadline, () => ensureSearchAttributes(connection, namespace, log)),
        };
      } catch (error) {
        if (error instanceof SearchAttributeError) return { refused: error.message };
        throw error;
      }
    },
    close: () => connection.close(),
  };
}

export function childProcessCheck(address: string, namespace: string, log: (line: string) => void): AttributeCheck {
  return {
    async ensure(deadline) {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [SELF, '--address', address, '--namespace', namespace, '--deadline', String(deadline)],
        { timeout: Math.max(0, deadline - Date.now()) + 10_000 },
      );
      for (const line of stderr.split('\n')) if (line.trim()) log(line);
      const answer = childAnswer(stdout.trim().split('\n').at(-1) ?? '');
      if ('error' in answer) throw new Error(answer.error);
      return answer;
    },
    close: async () => undefined,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { address: { type: 'string' }, namespace: { type: 'string' }, deadline: { type: 'string' } },
  });
  const check = await inProcessCheck(values.address!, values.namespace!, (line) => process.stderr.write(`${line}\n`));
  let answer: ChildAnswer;
  try {
    answer = await check.ensure(Number(values.deadline));
  } catch (error) {
    answer = { error: error instanceof Error ? error.message : String(error) };
  } finally {
    await check.close();
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
