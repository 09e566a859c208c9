// Help texts and usage errors.
import { PROGRAM } from './format.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Wrong invocation: exit 2 with a one-line message and where to find help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly topic: string | undefined;

  constructor(message: string, topic?: string) {
    super(message);
    this.topic = topic;
  }
}

export function usageLine(error: UsageError): string {
  const help = error.topic ? `${PROGRAM} ${error.topic} --help` : `${PROGRAM} --help`;
  return `${PROGRAM}: ${error.message} (see '${help}')`;
}

const GLOBAL_OPTIONS = `Global options:
  --url <url>       API address (default: $TOOLGATE_URL or ${DEFAULT_URL})
  --token <token>   bearer token (default: $TOOLGATE_TOKEN)
  --json            machine output: one JSON document per command (ask --follow: one JSON line per event)
  -h, --help        help`;

const MAIN = `${PROGRAM}: operate approval-gated LLM tool calls over the toolgate HTTP API

Usage: ${PROGRAM} [global options] <command> [options]

Commands:
  ask <query...>              start a round and follow its events until it ends
  rounds show <roundId>       status, tool calls, approvals and answer of a round
  rounds cancel <roundId>     cancel a round (open approvals close as cancelled)
  approvals [list]            pending approvals across all rounds
  quota                       what you have left: LLM tokens this period, running rounds, pending approvals
  approve <approvalId>        approve a pending tool call
  reject <approvalId>         reject a pending tool call (a reason is required)
  grants [list|revoke <id>]   your remembered grants (approve --remember), or revoke one
  audit [filters]             the audit trail of approvals; --ndjson for a verifiable export
  audit verify <file>         check an NDJSON export offline (hash chains, signatures)
  gateway --stdio             the MCP gateway on stdin/stdout for local MCP clients (forwards to <url>/mcp)
  help [command]              this help, or a command's

Operators without the API (Temporal CLI), offline:
  sign-decision               a signed \`decide\` signal input for \`temporal workflow signal\`
  sign-round                  a signed round input for \`temporal workflow start\`
  signing-keys                a new Ed25519 key pair for signing.privateKey / signing.publicKeys

${GLOBAL_OPTIONS}

Exit codes: 0 ok, 1 the round failed or was cancelled, 2 usage error, 3 the API answered with an error,
4 the API cannot be reached, 6 \`audit verify\` found a line that does not verify.`;

const SIGNING = `Rounds accept only decisions and input signed with a key their workers know (signing.publicKeys);
see docs/operations.md, "Signed decisions". The private key file holds the API's signing.privateKey (base64).`;

const TOPICS: Record<string, string> = {
  'sign-decision': `Usage: ${PROGRAM} sign-decision --key <file> --key-id <id> --approval <approvalId>
         --decision approve|reject --approver <principal> [options]

Prints the \`decide\` signal's input, stamped now and signed, for
  temporal workflow signal --workflow-id <roundId> --name decide --input "$(${PROGRAM} sign-decision ...)"

Options:
  --reason <text>           why (required to reject; the model is told)
  --digest <sha256>         bind the decision to these arguments (64 hex characters; the round refuses others)
  --channel <channel>       http, slack, cli, web or mcp (default cli)

${SIGNING}`,
  'sign-round': `Usage: ${PROGRAM} sign-round --key <file> --key-id <id> --round <roundId> --requester <principal>
         --query <text> [--input <json>]

Prints a round's input, signed for that round id and now (start it within 5 minutes), for
  temporal workflow start --type queryRound --task-queue toolgate --workflow-id <roundId> --input "$(...)"

Options:
  --input <json>            further fields of the input: {"servers": [...], "maxSteps": 3, "messages": [...]}

${SIGNING}`,
  'signing-keys': `Usage: ${PROGRAM} signing-keys --private <file> --public <file>

Writes a new Ed25519 key pair, base64: the private key (mode 600) for the API's signing.privateKey, the public
key for the workers' signing.publicKeys. Refuses to overwrite either file.

${SIGNING}`,
  ask: `Usage: ${PROGRAM} ask <query...> [options]

Starts a round (POST /v1/rounds), prints its id and Web UI link, then follows its events
(GET /v1/rounds/{id}/events), resuming with Last-Event-ID if the connection drops.
Exits 0 when the round completes, 1 when it fails or is cancelled.

Options:
  -f, --follow              follow the round's events (default)
  --no-follow               print the round id and return
  --previous <roundId>      continue the conversation of a completed round of yours
  --server <name>           restrict the round to this MCP server (repeatable)
  --idempotency-key <key>   start at most one round per key (asking again follows the same round)

With --json: the start answer {roundId, created, links} on the first line, then one event per line.

${GLOBAL_OPTIONS}`,
  rounds: `Usage: ${PROGRAM} rounds show <roundId>
       ${PROGRAM} rounds cancel <roundId>

show    status, step, tool calls with their outcomes, approvals with status and decider, answer
cancel  cancel the round: open approvals close as cancelled, running tool calls are cancelled

${GLOBAL_OPTIONS}`,
  approvals: `Usage: ${PROGRAM} approvals [list] [options]

Lists pending approvals across all rounds, following every page.

Options:
  --tool <tool>             only approvals of this tool
  --requester <principal>   only approvals of rounds this principal started
  --page-size <n>           approvals per API request, 1-1000 (default 100)

${GLOBAL_OPTIONS}`,
  quota: `Usage: ${PROGRAM} quota [--principal <principal>]

Shows what a principal has left of its limits (GET /v1/quota): LLM tokens used and left this period and when
they reset, running rounds and pending approvals against their limits. Yours by default; auditors and admins
may name another principal.

${GLOBAL_OPTIONS}`,
  audit: `Usage: ${PROGRAM} audit [options] [--ndjson > file]
       ${PROGRAM} audit verify <file> [--public-keys <file>]

audit    every approval of the rounds you may read (auditors and admins: all), open and closed, with its
         outcome, who decided, through which channel and why (GET /v1/audit, every page)
verify   offline, no server: recomputes each entry's hash and each round's chain and, with --public-keys, each
         decision's signature; names the first line that does not verify and exits 6, else prints a summary

Options:
  --approver <principal>    only decisions by this principal
  --requester <principal>   only rounds this principal started
  --server <name>           only calls to this MCP server
  --tool <tool>             only calls of this tool
  --outcome <outcome>       approved, rejected, expired, cancelled or pending
  --since <iso time>        closed (pending: opened) at or after
  --until <iso time>        ... and before
  --ndjson                  one JSON entry a line: the export \`audit verify\` checks
  --public-keys <file>      verify: a JSON array of {"id": <keyId>, "key": <base64 Ed25519 public key>}

${GLOBAL_OPTIONS}`,
  approve: `Usage: ${PROGRAM} approve <approvalId> [options]

Prints every argument of the call (through $PAGER or less -R on a terminal), asks for confirmation, then
approves it and prints the effective decision.

Options:
  --reason <text>           why (recorded with the decision)
  --digest <sha256>         refuse unless the call's arguments have this digest (64 hex characters)
  -y, --yes                 do not ask; refused when an argument is redacted, escaped or undeclared
  --arguments <json|@file>  approve with these arguments instead (the complete call, not a patch)
  --edit                    edit the arguments in $VISUAL or $EDITOR first; unchanged approves as is
  --remember <ttl>          approve and remember (30m, 8h, 1d; capped by approvals.grants.maxTtl): the
                            requester's later calls of this tool with these arguments run without asking
  --pattern <path=glob>     with --remember: cover calls whose argument at <path> matches <glob> (* and ?)
                            instead of exactly these arguments; repeat for more paths (all must match)

${GLOBAL_OPTIONS}`,
  grants: `Usage: ${PROGRAM} grants [list] [--requester <principal>]
       ${PROGRAM} grants revoke <grantId>

list     your live remembered grants (GET /v1/grants): tool, what they cover, until when, whose decision
         made them; auditors and admins may name another requester
revoke   ends a grant at once (DELETE /v1/grants/{grantId}): its requester, the approver who made it and
         admins may; calls it covered ask a person again

${GLOBAL_OPTIONS}`,
  gateway: `Usage: ${PROGRAM} gateway --stdio [--header 'Name: value'] [--header-env Name=VARIABLE]

Speaks MCP on stdin/stdout for a local MCP client (a desktop assistant, an IDE agent) and forwards every
message unchanged to the API's Streamable HTTP gateway at <url>/mcp with the bearer token: tools/list shows
the upstream servers' tools as server__tool, and each tools/call runs as a round, waiting for an approval
when policy asks for one (progress notifications name it; decide with '${PROGRAM} approve'). The bridge holds
no Temporal connection or key: every rule is the API's. stdout carries MCP only; messages go to stderr.

Before reading stdin it pings the gateway: a wrong --url exits 4, a refused token exits 3. It ends with exit
0 when the client closes stdin (calls still waiting go on as rounds) and exits 3 if the API later refuses the
token. A request whose answer stream breaks (the API restarted) gets a JSON-RPC error, not a silent wait.

Options:
  --stdio                       required: MCP over stdin/stdout
  --header 'Name: value'        send this header to /mcp too (repeatable): a server's userCredential header
  --header-env Name=VARIABLE    the same, the value read from the environment variable (kept out of argv)

${GLOBAL_OPTIONS}`,
  reject: `Usage: ${PROGRAM} reject <approvalId> --reason <text> [options]

Prints every argument of the call, asks for confirmation, then rejects it and prints the effective decision.

Options:
  --reason <text>           why (required; the model is told)
  --digest <sha256>         refuse unless the call's arguments have this digest (64 hex characters)
  -y, --yes                 do not ask

${GLOBAL_OPTIONS}`,
};

export function helpText(topic?: string): string {
  if (topic === undefined || topic === 'help') return MAIN;
  const text = TOPICS[topic];
  if (!text) throw new UsageError(`no help for unknown command '${topic}'`);
  return text;
}
