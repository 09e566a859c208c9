// The operator's command-line client over the HTTP API. Run through bin/toolgate.js or `npm run cli --`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline/promises';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ApiError } from '../runtime/api-error.ts';
import { AUDIT_FILTERS } from '../runtime/audit.ts';
import { ApiClient, ApiUnreachableError } from './api-client.ts';
import { ask } from './ask.ts';
import { auditTrail, verifyExport, type AuditFilter } from './audit.ts';
import { signDecision, signRound, writeSigningKeys } from './signing.ts';
import { cancelRound, decide, listApprovals, showQuota, showRound, type EditRequest } from './commands.ts';
import { formatHttpError, PROGRAM } from './format.ts';
import { runStdioBridge } from './gateway-stdio.ts';
import { listGrants, rememberOption, revokeGrant } from './grants.ts';
import { EXIT, type Session } from './session.ts';
import { forStream, stripControls } from './terminal-text.ts';
import { DEFAULT_URL, helpText, UsageError, usageLine } from './usage.ts';

const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

const DECISION_OPTIONS = {
  reason: { type: 'string' },
  digest: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  arguments: { type: 'string' },
  edit: { type: 'boolean' },
} as const satisfies ParseArgsOptionsConfig;

const COMMAND_OPTIONS: Record<string, ParseArgsOptionsConfig> = {
  ask: {
    follow: { type: 'boolean', short: 'f', default: true },
    previous: { type: 'string' },
    server: { type: 'string', multiple: true },
    'idempotency-key': { type: 'string' },
  },
  rounds: {},
  approvals: { tool: { type: 'string' }, requester: { type: 'string' }, 'page-size': { type: 'string' } },
  quota: { principal: { type: 'string' } },
  audit: {
    ...Object.fromEntries(AUDIT_FILTERS.map((name) => [name, { type: 'string' }])),
    ndjson: { type: 'boolean' },
    'public-keys': { type: 'string' },
  },
  approve: { ...DECISION_OPTIONS, remember: { type: 'string' }, pattern: { type: 'string', multiple: true } },
  reject: DECISION_OPTIONS,
  grants: { requester: { type: 'string' } },
  gateway: {
    stdio: { type: 'boolean' },
    header: { type: 'string', multiple: true },
    'header-env': { type: 'string', multiple: true },
  },
  help: {},
  'sign-decision': {
    key: { type: 'string' },
    'key-id': { type: 'string' },
    approval: { type: 'string' },
    decision: { type: 'string' },
    approver: { type: 'string' },
    channel: { type: 'string' },
    ...DECISION_OPTIONS,
  },
  'sign-round': {
    key: { type: 'string' },
    'key-id': { type: 'string' },
    round: { type: 'string' },
    requester: { type: 'string' },
    query: { type: 'string' },
    input: { type: 'string' },
  },
  'signing-keys': { private: { type: 'string' }, public: { type: 'string' } },
};

/** Commands that sign or make keys locally: they need neither the API nor a token. */
const OFFLINE: Record<string, (values: Values) => string> = {
  'sign-decision': signDecision,
  'sign-round': signRound,
  'signing-keys': writeSigningKeys,
};

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** The command is the first word that is neither an option nor the value of a global option. */
function splitCommand(argv: string[]): { command: string | undefined; rest: string[] } {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') break;
    if (arg === '--url' || arg === '--token') {
      index++;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') continue;
    return { command: arg, rest: [...argv.slice(0, index), ...argv.slice(index + 1)] };
  }
  return { command: undefined, rest: argv };
}

function parse(command: string | undefined, args: string[]): { values: Values; positionals: string[] } {
  try {
    return parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...(command ? COMMAND_OPTIONS[command] : {}) },
      allowPositionals: true,
      allowNegative: true,
      strict: true,
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw error;
    // Node's messages go on to explain `--`; the first sentence is the one-line error.
    const message = (error as Error).message.split(/\.\s/)[0]!.replace(/\.$/, '');
    throw new UsageError(message.charAt(0).toLowerCase() + message.slice(1), command);
  }
}

function text(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function only(positionals: string[], what: string, topic: string): string {
  const [value, extra] = positionals;
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`, topic);
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`, topic);
  return value;
}

/** The API's URL and the bearer token, from the options, the environment or the defaults. */
function apiTarget(values: Values, env: NodeJS.ProcessEnv): { url: string; token: string } {
  const url = (text(values, 'url') ?? env.TOOLGATE_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url ${url} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`--url ${url} is not an http(s) URL`);
  const token = text(values, 'token') ?? env.TOOLGATE_TOKEN;
  if (!token) throw new UsageError('no API token: set TOOLGATE_TOKEN or pass --token');
  return { url, token };
}

function connect(values: Values, env: NodeJS.ProcessEnv): { client: ApiClient; commandUrl: string | undefined } {
  const { url, token } = apiTarget(values, env);
  const usual = [DEFAULT_URL, env.TOOLGATE_URL?.replace(/\/+$/, '')];
  return { client: new ApiClient(url, token), commandUrl: usual.includes(url) ? undefined : url };
}

function decisionBody(decision: 'approve' | 'reject', values: Values) {
  const reason = text(values, 'reason');
  if (decision === 'reject' && !reason?.trim()) throw new UsageError('reject needs --reason <text>', 'reject');
  const digest = text(values, 'digest')?.toLowerCase();
  if (digest !== undefined && !/^[0-9a-f]{64}$/.test(digest))
    throw new UsageError('--digest takes the 64 hex characters of a SHA-256', decision);
  return { decision, ...(reason ? { reason } : {}), ...(digest ? { argsDigest: digest } : {}) };
}

/** `--arguments` or `--edit`: approve with edited arguments (edit on approve). */
function editOption(decision: 'approve' | 'reject', values: Values): EditRequest | undefined {
  const raw = text(values, 'arguments');
  if (raw === undefined && values.edit !== true) return undefined;
  if (decision === 'reject')
    throw new UsageError('--arguments and --edit approve with changes; reject takes neither', 'reject');
  if (raw !== undefined && values.edit === true)
    throw new UsageError('give --arguments or --edit, not both', 'approve');
  return raw === undefined ? { editor: true } : { raw };
}

function pageSize(values: Values): number | undefined {
  const raw = text(values, 'page-size');
  if (raw === undefined) return undefined;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > 1000)
    throw new UsageError('--page-size takes a whole number from 1 to 1000', 'approvals');
  return size;
}

/** `--header 'Name: value'` and `--header-env Name=VARIABLE` (the value kept out of the command line). */
function gatewayHeaders(values: Values, env: NodeJS.ProcessEnv): Record<string, string> {
  const headers: Record<string, string> = {};
  const add = (name: string, value: string, option: string) => {
    if (!/^[A-Za-z0-9-]+$/.test(name))
      throw new UsageError(`${option}: '${name}' is not an HTTP header name`, 'gateway');
    if (name.toLowerCase() === 'authorization')
      throw new UsageError(`${option}: the token goes in --token or TOOLGATE_TOKEN`, 'gateway');
    headers[name] = value;
  };
  for (const header of (values.header as string[] | undefined) ?? []) {
    const colon = header.indexOf(':');
    if (colon < 1)
      // The value is not echoed: it is usually a credential.
      throw new UsageError(`--header takes 'Name: value' (no colon after a name)`, 'gateway');
    add(header.slice(0, colon).trim(), header.slice(colon + 1).trim(), '--header');
  }
  for (const pair of (values['header-env'] as string[] | undefined) ?? []) {
    const [name, variable, extra] = pair.split('=');
    if (!name || !variable || extra !== undefined)
      throw new UsageError(`--header-env takes 'Name=VARIABLE', not '${pair}'`, 'gateway');
    const value = env[variable]?.trim();
    if (!value) throw new UsageError(`--header-env ${pair}: the variable ${variable} is not set`, 'gateway');
    add(name, value, '--header-env');
  }
  return headers;
}

type Io = Pick<Session, 'out' | 'write' | 'err' | 'page' | 'confirm'>;

async function run(argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const { command, rest } = splitCommand(argv);
  if (command !== undefined && !(command in COMMAND_OPTIONS)) throw new UsageError(`unknown command '${command}'`);
  const { values, positionals } = parse(command, rest);
  if (command === 'help' || values.help || command === undefined) {
    if (command === undefined && !values.help) throw new UsageError('missing command');
    io.out(helpText(command === 'help' ? positionals[0] : command));
    return EXIT.ok;
  }

  const offline = OFFLINE[command];
  if (offline) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, command);
    io.out(offline(values));
    return EXIT.ok;
  }

  if (command === 'audit' && positionals[0] === 'verify') {
    return verifyExport(io, only(positionals.slice(1), 'export file', 'audit'), text(values, 'public-keys'));
  }

  if (command === 'gateway') {
    if (values.stdio !== true)
      throw new UsageError('gateway needs --stdio (MCP clients on HTTP use the API at <url>/mcp directly)', 'gateway');
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, 'gateway');
    const headers = gatewayHeaders(values, env);
    return runStdioBridge({ ...apiTarget(values, env), headers, log: io.err });
  }

  // Checked before connecting, so a usage error never waits on the network.
  let action: (session: Session) => Promise<number>;
  switch (command) {
    case 'ask': {
      const query = positionals.join(' ').trim();
      if (!query) throw new UsageError('missing query', 'ask');
      const input = {
        query,
        follow: values.follow !== false,
        previousRoundId: text(values, 'previous'),
        servers: values.server as string[] | undefined,
        idempotencyKey: text(values, 'idempotency-key'),
      };
      action = (session) => ask(session, input);
      break;
    }
    case 'rounds': {
      const [sub, ...ids] = positionals;
      if (sub === undefined) throw new UsageError('missing subcommand: show or cancel', 'rounds');
      if (sub !== 'show' && sub !== 'cancel') throw new UsageError(`unknown subcommand 'rounds ${sub}'`, 'rounds');
      const roundId = only(ids, 'round id', 'rounds');
      action = (session) => (sub === 'show' ? showRound(session, roundId) : cancelRound(session, roundId));
      break;
    }
    case 'approvals': {
      const [sub, extra] = positionals;
      if ((sub !== undefined && sub !== 'list') || extra !== undefined)
        throw new UsageError(`unexpected argument '${extra ?? sub}'`, 'approvals');
      const filter = { tool: text(values, 'tool'), requester: text(values, 'requester'), pageSize: pageSize(values) };
      action = (session) => listApprovals(session, filter);
      break;
    }
    case 'quota': {
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, 'quota');
      const principal = text(values, 'principal');
      action = (session) => showQuota(session, principal);
      break;
    }
    case 'audit': {
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, 'audit');
      const filter: AuditFilter = Object.fromEntries(AUDIT_FILTERS.map((name) => [name, text(values, name)]));
      action = (session) => auditTrail(session, filter, values.ndjson === true);
      break;
    }
    case 'grants': {
      const [sub, ...ids] = positionals;
      if (sub === 'revoke') {
        const grantId = only(ids, 'grant id', 'grants');
        action = (session) => revokeGrant(session, grantId);
        break;
      }
      if ((sub !== undefined && sub !== 'list') || ids.length > 0)
        throw new UsageError(`unexpected argument '${ids[0] ?? sub}'`, 'grants');
      const requester = text(values, 'requester');
      action = (session) => listGrants(session, requester);
      break;
    }
    default: {
      const decision = command === 'approve' ? 'approve' : 'reject';
      const approvalId = only(positionals, 'approval id', decision);
      const body = {
        ...decisionBody(decision, values),
        ...rememberOption(
          text(values, 'remember'),
          values.pattern as string[] | undefined,
          (message) => new UsageError(message, decision),
        ),
      };
      const edit = editOption(decision, values);
      action = (session) => decide(session, approvalId, body, values.yes === true, edit);
    }
  }
  return action({ ...connect(values, env), json: values.json === true, ...io });
}

/** On a terminal, through the reader's pager (`less -R` keeps colours and stays on screen for short text). */
async function page(text: string): Promise<void> {
  if (!process.stdout.isTTY) return void process.stdout.write(`${text}\n`);
  const pager = process.env.PAGER?.trim() || 'less -R';
  const child = spawn(pager, { shell: true, stdio: ['pipe', 'inherit', 'inherit'] });
  // `less -R` passes escape sequences through to the terminal.
  child.stdin.end(`${stripControls(text)}\n`);
  await once(child, 'close');
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const asked = `${forStream(process.stderr, false)(question)} [y/N] `;
  try {
    // End of input (nothing piped, Ctrl-D) answers no.
    const answer = await new Promise<string>((resolve) => {
      prompt.once('close', () => resolve(''));
      void prompt.question(asked).then(resolve, () => resolve(''));
    });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    prompt.close();
  }
}

async function main(): Promise<number> {
  const json = process.argv.includes('--json');
  // Every line the CLI prints passes here: on a terminal, what the model, MCP servers or other principals wrote
  // cannot drive it. Human text on stderr even with --json (the arguments shown before a decision).
  const toStdout = forStream(process.stdout, json);
  const toStderr = forStream(process.stderr, false);
  const io = {
    out: (line: string) => void process.stdout.write(`${toStdout(line)}\n`),
    write: (text: string) => void process.stdout.write(toStdout(text)),
    err: (line: string) => void process.stderr.write(`${toStderr(line)}\n`),
    page,
    confirm,
  };
  try {
    return await run(process.argv.slice(2), process.env, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(usageLine(error));
      return EXIT.usage;
    }
    if (error instanceof ApiError) {
      if (json)
        io.out(
          JSON.stringify({
            error: { status: error.status, code: error.code, message: error.message, ...error.details },
          }),
        );
      const hint = error.status === 401 ? ' (check --token or TOOLGATE_TOKEN)' : '';
      io.err(`${PROGRAM}: ${formatHttpError(error)}${hint}`);
      return EXIT.http;
    }
    if (error instanceof ApiUnreachableError) {
      if (json) io.out(JSON.stringify({ error: { code: 'unreachable', url: error.url, message: error.message } }));
      io.err(`${PROGRAM}: cannot reach the API at ${error.url}: ${error.message}`);
      return EXIT.unreachable;
    }
    io.err(`${PROGRAM}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.roundFailed;
  }
}

process.exitCode = await main();
