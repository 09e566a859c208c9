// Records the corpus of round histories that CI replays against every change of workflow code
// (test/workflow/history-corpus.test.ts). Run it on purpose, when a kind of round is added or after a release:
//
//   npm run histories:record            (all kinds)      npm run histories:record -- approved expired
//
// It starts an in-memory dev server, the scripted LLM, our MCP test server and a fake Slack Web API, runs one
// round of each kind on the workflow code of this checkout, and writes test/histories/<NEWEST_SET>/<kind>.json.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection } from '@temporalio/worker';
import { parseConfig, type ToolgateConfig } from '../../runtime/config.ts';
import { createLogger } from '../../runtime/logger.ts';
import { cachedWorkflowBundle } from '../../runtime/workflow-bundle-cache.ts';
import { startDevServer } from '../../scripts/dev-server.ts';
import { createToolgateWorker } from '../../worker/create-worker.ts';
import {
  decideSignal,
  decideUpdate,
  stateQuery,
  type QueryRoundInput,
  type QueryRoundResult,
} from '../../workflows/contract.ts';
import type { queryRound } from '../../workflows/query-round.ts';
import { startFakeSlackApi } from '../../testkit/fake-slack-api.ts';
import { startHttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { TEST_SIGNING, signedDecision, testSigner } from '../../testkit/signing.ts';
import { argsDigest } from '../../workflows/shared/digest.ts';
import {
  routeByMarker,
  scriptedSteps,
  startScriptedLlmServer,
  type LlmScript,
} from '../../testkit/scripted-llm-server.ts';

/**
 * The set that recordings go to. Older sets (v0, ...) keep the shape rounds had under older workflow code, as
 * long as rounds of that code may still be running; start a new set (v2, ...) when a change of workflow code
 * adds a patched() branch, so the newest set shows every branch taken (the corpus test checks that).
 */
export const NEWEST_SET = 'v5';

type Round = WorkflowHandle<typeof queryRound>;
const alice = { id: 'alice', channel: 'http' } as const;

interface Kind {
  /** What the round exercises, for the corpus test's listing. */
  about: string;
  slack?: boolean;
  /** Started as someone with write access to the namespace could, without the API's signature. */
  unsigned?: boolean;
  /** Input fields beside query and requester, e.g. the quota the API would set. */
  input?: Partial<QueryRoundInput>;
  script: LlmScript;
  /** Drives the round to its end; the default waits for its result. */
  drive?: (
    round: Round,
    rounds: {
      start(query: string, extra?: { messages?: QueryRoundResult['messages'] }): Promise<Round>;
      /** Restarts the kind's worker on an edited configuration; its recheck scan nudges the waiting rounds. */
      reconfigure(edit: (config: ToolgateConfig) => ToolgateConfig): Promise<void>;
    },
  ) => Promise<void>;
}

async function pendingApprovalIds(round: Round, count = 1): Promise<string[]> {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    const pending = (await round.query(stateQuery)).approvals.filter((approval) => approval.status === 'pending');
    if (pending.length >= count) return pending.map((approval) => approval.approvalId);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`round ${round.workflowId} never opened ${count} approval(s)`);
}

/** A decision's `remember` names what the approval is for, as the API signs it. */
const carolsDeletes = { requester: 'carol', server: 'k8s', tool: 'delete_pod' };

const deletePod = (name: string) => ({ name: 'k8s__delete_pod', arguments: { namespace: 'dev', name } });

export const KINDS: Record<string, Kind> = {
  'no-tools': { about: 'an answer without tool calls', script: scriptedSteps({ content: 'the answer is 42' }) },
  'parallel-calls': {
    about: 'two read-only calls in one reply, run in parallel, and an identical one shared',
    script: scriptedSteps(
      {
        toolCalls: [
          { name: 'k8s__echo', arguments: { message: 'one' } },
          { name: 'k8s__add', arguments: { a: 2, b: 3 } },
          { name: 'k8s__echo', arguments: { message: 'one' } },
        ],
      },
      { content: 'both done' },
    ),
  },
  'invalid-calls': {
    about: 'unknown tool, bad JSON and arguments that are not an object, answered without calling',
    script: scriptedSteps(
      {
        toolCalls: [
          { name: 'drop_database', arguments: {} },
          { name: 'k8s__echo', arguments: '{"message": ' },
          { name: 'k8s__echo', arguments: '[1]' },
        ],
      },
      { content: 'ok' },
    ),
  },
  approved: {
    about: 'an approval decided by the update, then the call',
    script: scriptedSteps({ toolCalls: [deletePod('approved')] }, { content: 'deleted' }),
    drive: async (round) => {
      const [approvalId] = await pendingApprovalIds(round);
      await round.executeUpdate(decideUpdate, {
        args: [
          signedDecision({
            approvalId: approvalId!,
            decision: 'approve',
            approver: alice,
            receivedAt: new Date().toISOString(),
          }),
        ],
      });
    },
  },
  rejected: {
    about: 'an approval rejected by a signal, a duplicate decision ignored',
    script: scriptedSteps({ toolCalls: [deletePod('rejected')] }, { content: 'understood' }),
    drive: async (round) => {
      const [approvalId] = await pendingApprovalIds(round);
      await round.signal(
        decideSignal,
        signedDecision({
          approvalId: approvalId!,
          decision: 'reject',
          reason: 'serves traffic',
          approver: { id: 'bob', channel: 'slack' },
        }),
      );
      await round.signal(
        decideSignal,
        signedDecision({ approvalId: approvalId!, decision: 'approve', approver: alice }),
      );
    },
  },
  expired: {
    about: 'an approval whose durable timer fires',
    script: scriptedSteps(
      { toolCalls: [{ name: 'k8s__scale_deployment', arguments: { namespace: 'dev', name: 'expired', replicas: 0 } }] },
      { content: 'gave up' },
    ),
  },
  cancelled: {
    about: 'a round cancelled while an approval waits',
    script: scriptedSteps({ toolCalls: [deletePod('cancelled')] }),
    drive: async (round) => {
      await pendingApprovalIds(round);
      await round.cancel();
    },
  },
  siblings: {
    about: 'two approvals in one reply: one approved and run while the other waits, then rejected',
    script: scriptedSteps({ toolCalls: [deletePod('sibling-1'), deletePod('sibling-2')] }, { content: 'one of two' }),
    drive: async (round) => {
      const [first, second] = await pendingApprovalIds(round, 2);
      await round.signal(decideSignal, signedDecision({ approvalId: first!, decision: 'approve', approver: alice }));
      await round.signal(
        decideSignal,
        signedDecision({
          approvalId: second!,
          decision: 'reject',
          reason: 'one is enough',
          approver: alice,
        }),
      );
    },
  },
  retries: {
    about: 'an LLM 429 retried with Retry-After, a tool call not sent (503) retried, a read retried after a reset',
    script: scriptedSteps(
      { status: 429, headers: { 'retry-after': '1' } },
      {
        toolCalls: [
          { name: 'flaky__echo', arguments: { message: 'after 503' } },
          { name: 'k8s__read_record', arguments: { key: 'retries', fault: 'reset' } },
        ],
      },
      { content: 'retried' },
    ),
  },
  'forged-decision': {
    about: 'a decision without a signature and one signed by an unknown key, both ignored, then a signed one',
    script: scriptedSteps({ toolCalls: [deletePod('forged')] }, { content: 'deleted' }),
    drive: async (round) => {
      const [approvalId] = await pendingApprovalIds(round);
      const decision = { approvalId: approvalId!, decision: 'approve', approver: alice } as const;
      await round.signal(decideSignal, decision);
      await round.signal(decideSignal, { ...decision, signature: { keyId: 'rogue', sig: '0'.repeat(128) } });
      await round.signal(decideSignal, signedDecision(decision));
    },
  },
  'forged-start': {
    about: 'a round started without the API signature: it fails before any LLM call',
    unsigned: true,
    script: scriptedSteps({ content: 'never asked' }),
  },
  'outcome-unknown': {
    about: 'an approved write whose connection broke after it took effect: one attempt, the outcome reported unknown',
    script: scriptedSteps(
      { toolCalls: [{ name: 'k8s__write_record', arguments: { key: 'unknown', fault: 'reset' } }] },
      { content: 'will check' },
    ),
    drive: async (round) => {
      const [approvalId] = await pendingApprovalIds(round);
      await round.signal(
        decideSignal,
        signedDecision({ approvalId: approvalId!, decision: 'approve', approver: alice }),
      );
    },
  },
  'gateway-read': {
    about: 'an MCP gateway tools/call of a read-only tool: a round without an LLM whose only step is the call',
    input: { toolCall: { name: 'k8s__echo', arguments: { message: 'through the gateway' } } },
    script: scriptedSteps({ content: 'never asked' }),
  },
  'gateway-approved': {
    about: 'an MCP gateway tools/call of a gated tool: the approval opens, is approved, the call runs once',
    input: { toolCall: deletePod('gateway-1') },
    script: scriptedSteps({ content: 'never asked' }),
    drive: async (round) => {
      const [approvalId] = await pendingApprovalIds(round);
      await round.signal(
        decideSignal,
        signedDecision({ approvalId: approvalId!, decision: 'approve', approver: alice }),
      );
    },
  },
  'slack-card': {
    about: 'an approval with a Slack card posted and updated when it closes',
    slack: true,
    script: scriptedSteps({ toolCalls: [deletePod('slack')] }, { content: 'deleted' }),
    drive: async (round) => {
      const [approvalId] = await pendingApprovalIds(round);
      await round.signal(
        decideSignal,
        signedDecision({
          approvalId: approvalId!,
          decision: 'approve',
          approver: { id: 'alice', channel: 'slack' },
        }),
      );
    },
  },
  'fan-out': {
    about: 'a reply with 10 calls: 8 run, the model is told the other 2 were not',
    script: scriptedSteps(
      {
        toolCalls: Array.from({ length: 10 }, (_, index) => ({
          name: 'k8s__echo',
          arguments: { message: `call ${index}` },
        })),
      },
      { content: 'eight of ten' },
    ),
  },
  'token-quota': {
    about: 'a round started with 10 tokens left: one LLM call, its tool call, then it ends for its quota',
    input: { quota: { period: 'day', limit: 1000, remaining: 10, resetsAt: '2030-01-01T00:00:00.000Z' } },
    script: scriptedSteps({ toolCalls: [{ name: 'k8s__echo', arguments: { message: 'quota' } }] }, { content: 'x' }),
  },
  'odd-key': {
    about: 'a read-only call with a non-ASCII, undeclared key: it needs an approval, rejected',
    script: scriptedSteps(
      { toolCalls: [{ name: 'k8s__echo', arguments: { message: 'hi', nameſpace: 'prod-eu' } }] },
      { content: 'not run' },
    ),
    drive: async (round) => {
      const [approvalId] = await pendingApprovalIds(round);
      await round.signal(
        decideSignal,
        signedDecision({ approvalId: approvalId!, decision: 'reject', reason: 'odd key', approver: alice }),
      );
    },
  },
  quorum: {
    about:
      'a quorum approval (1 of oncall and 1 of dba): a counted update, a second vote of the same person ignored, the vote that meets it',
    script: scriptedSteps(
      { toolCalls: [{ name: 'k8s__write_file', arguments: { path: 'quorum.txt', content: 'two people said yes' } }] },
      { content: 'written' },
    ),
    drive: async (round) => {
      const [approvalId] = await pendingApprovalIds(round);
      await round.executeUpdate(decideUpdate, {
        args: [signedDecision({ approvalId: approvalId!, decision: 'approve', approver: alice })],
      });
      await round.signal(
        decideSignal,
        signedDecision({ approvalId: approvalId!, decision: 'approve', approver: alice }),
      );
      await round.signal(
        decideSignal,
        signedDecision({ approvalId: approvalId!, decision: 'approve', approver: { id: 'dave', channel: 'cli' } }),
      );
    },
  },
  edited: {
    about: 'an approval approved with edited arguments (edit on approve): a schema-invalid edit refused, the edit run',
    script: scriptedSteps({ toolCalls: [deletePod('edited')] }, { content: 'deleted the edited pod' }),
    drive: async (round) => {
      const [approvalId] = await pendingApprovalIds(round);
      const edit = (args: Record<string, unknown>) =>
        signedDecision({
          approvalId: approvalId!,
          decision: 'approve',
          approver: alice,
          arguments: args,
          editedArgsDigest: argsDigest(args),
        });
      await round.signal(decideSignal, edit({ namespace: 'dev' }));
      await round.executeUpdate(decideUpdate, { args: [edit({ namespace: 'dev', name: 'edited-instead' })] });
    },
  },
  escalated: {
    about:
      'an approval with a Slack card reminded at 30% and escalated to dba at 60% of its 3s timeout, then approved by dba',
    slack: true,
    script: scriptedSteps(
      { toolCalls: [{ name: 'k8s__fetch_url', arguments: { url: 'https://example.com/escalated' } }] },
      { content: 'fetched' },
    ),
    drive: async (round) => {
      const [approvalId] = await pendingApprovalIds(round);
      for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
        const approval = (await round.query(stateQuery)).approvals[0];
        if (approval?.reminders?.steps.some((step) => step.kind === 'escalation')) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await round.executeUpdate(decideUpdate, {
        args: [
          signedDecision({ approvalId: approvalId!, decision: 'approve', approver: { id: 'dave', channel: 'cli' } }),
        ],
      });
    },
  },
  previewed: {
    about:
      'an approval previewed by a read-only tool first (slow previewed by slow_read): a decision for another preview ignored, the one with its digest applied',
    script: scriptedSteps({ toolCalls: [{ name: 'k8s__slow', arguments: { ms: 5 } }] }, { content: 'slept' }),
    drive: async (round) => {
      const [approvalId] = await pendingApprovalIds(round);
      const { previewDigest } = (await round.query(stateQuery)).approvals[0]!;
      await round.signal(
        decideSignal,
        signedDecision({
          approvalId: approvalId!,
          decision: 'approve',
          approver: alice,
          previewDigest: '0'.repeat(64),
        }),
      );
      await round.executeUpdate(decideUpdate, {
        args: [signedDecision({ approvalId: approvalId!, decision: 'approve', approver: alice, previewDigest })],
      });
    },
  },
  rechecked: {
    about:
      'a pending approval re-addressed by a policy recheck (its approvers changed in the config), decided by the new approver',
    script: scriptedSteps({ toolCalls: [deletePod('rechecked')] }, { content: 'deleted' }),
    drive: async (round, rounds) => {
      const [approvalId] = await pendingApprovalIds(round);
      await rounds.reconfigure((config) => ({
        ...config,
        servers: config.servers.map((server) =>
          server.name === 'k8s'
            ? { ...server, tools: { ...server.tools, delete_pod: { approvers: ['dave'] } } }
            : server,
        ),
      }));
      for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
        const approval = (await round.query(stateQuery)).approvals[0];
        if (approval?.approvers.includes('dave')) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await round.executeUpdate(decideUpdate, {
        args: [
          signedDecision({ approvalId: approvalId!, decision: 'approve', approver: { id: 'dave', channel: 'cli' } }),
        ],
      });
    },
  },
  remembered: {
    about: 'an approval decided with remember: the round stores the grant (createGrant) once it closed approved',
    script: scriptedSteps({ toolCalls: [deletePod('remembered')] }, { content: 'deleted and remembered' }),
    drive: async (round) => {
      const [approvalId] = await pendingApprovalIds(round);
      await round.executeUpdate(decideUpdate, {
        args: [
          signedDecision({
            approvalId: approvalId!,
            decision: 'approve',
            approver: alice,
            receivedAt: new Date().toISOString(),
            remember: { ttlMs: 3_600_000, pattern: { name: 'remembered' }, ...carolsDeletes },
          }),
        ],
      });
    },
  },
  granted: {
    about: "a call a grant covers (made by an earlier round's approve and remember) runs without an approval",
    // By the conversation, not by call count: both rounds of the kind ask for the same call first.
    script: (request) =>
      request.body.messages.at(-1)?.role === 'tool'
        ? { content: 'deleted under the grant' }
        : { toolCalls: [deletePod('granted')] },
    drive: async (round, rounds) => {
      const [approvalId] = await pendingApprovalIds(round);
      await round.executeUpdate(decideUpdate, {
        args: [
          signedDecision({
            approvalId: approvalId!,
            decision: 'approve',
            approver: alice,
            argsDigest: (await round.query(stateQuery)).approvals[0]!.argsDigest,
            receivedAt: new Date().toISOString(),
            remember: { ttlMs: 3_600_000, ...carolsDeletes },
          }),
        ],
      });
      await round.result();
      // The same call again: the grant of exactly these arguments approves it.
      await (await rounds.start('granted')).result();
    },
  },
  'local-reads': {
    about:
      'reads needing no approval as local activities: 4 in one reply (one slower, one shared, a tool error), then one retried on 502s until it fails',
    script: scriptedSteps(
      {
        toolCalls: [
          { name: 'k8s__slow_read', arguments: { ms: 40 } },
          { name: 'k8s__echo', arguments: { message: 'local' } },
          { name: 'k8s__fail', arguments: { reason: 'no such pod' } },
          { name: 'k8s__echo', arguments: { message: 'local' } },
        ],
      },
      // Alone in its step: when this kind was recorded, a 502 dropped the connection with the calls in flight on it.
      { toolCalls: [{ name: 'k8s__read_record', arguments: { key: 'local-reads', fault: '502' } }] },
      { content: 'read locally' },
    ),
  },
  'multi-turn': {
    about: 'a round that continues the transcript of an earlier one',
    script: (request) => ({ content: request.body.messages.length > 1 ? 'and the follow-up' : 'first answer' }),
    drive: async (round, rounds) => {
      const first = await round.result();
      await (await rounds.start('multi-turn', { messages: first.messages })).result();
    },
  },
  'three-step': {
    about:
      "the benchmark's round on the round fast path: three steps of two parallel read-only calls, one patch marker",
    script: scriptedSteps(
      ...[0, 1, 2].map((step) => ({
        toolCalls: [
          { name: 'k8s__echo', arguments: { message: `step ${step}` } },
          { name: 'k8s__add', arguments: { a: step, b: 1 } },
        ],
      })),
      { content: 'three steps done' },
    ),
  },
};

function configFor(
  address: string,
  taskQueue: string,
  llmUrl: string,
  mcpUrl: string,
  flakyUrl: string,
  slackUrl?: string,
): ToolgateConfig {
  const retry = { maxAttempts: 3, initialDelay: '100ms', maxDelay: '500ms' };
  return parseConfig(
    {
      temporal: { address, taskQueue, deployment: { name: 'toolgate-histories' } },
      llm: { baseURL: llmUrl, model: 'scripted' },
      approvals: { approvers: ['alice', 'bob'], timeout: '10m', groups: { oncall: ['alice', 'bob'], dba: ['dave'] } },
      signing: TEST_SIGNING,
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcpUrl,
          trusted: true,
          retry,
          tools: {
            scale_deployment: { approvalTimeout: '2s' },
            fetch_url: { approvalTimeout: '3s', remind: { at: '30%' }, escalate: { at: '60%', to: 'dba' } },
            slow: { preview: { tool: 'slow_read' } },
            write_file: {
              quorum: [
                { group: 'oncall', count: 1 },
                { group: 'dba', count: 1 },
              ],
            },
          },
        },
        { name: 'flaky', transport: 'http', url: flakyUrl, trusted: true, approval: 'never', retry },
      ],
      ...(slackUrl
        ? {
            slack: {
              botToken: 'xoxb-histories',
              signingSecret: 'histories',
              teamId: 'T1',
              appId: 'A1',
              channel: 'C_APPROVALS',
              apiUrl: slackUrl,
            },
          }
        : {}),
    },
    'history recorder',
  );
}

async function record(kinds: string[]): Promise<void> {
  const folder = fileURLToPath(new URL(`${NEWEST_SET}/`, import.meta.url));
  mkdirSync(folder, { recursive: true });
  const logger = createLogger('histories');
  logger.level = 'warn';
  const server = await startDevServer({ ui: false, log: (line) => console.log(line) });
  const routes: Record<string, LlmScript> = {};
  const llm = await startScriptedLlmServer(routeByMarker(routes));
  let flakyFailures = 0;
  const mcp = await startHttpMcpServer({ name: 'k8s' });
  const flaky = await startHttpMcpServer({ name: 'flaky', failWith: () => (flakyFailures-- > 0 ? 503 : undefined) });
  const slack = await startFakeSlackApi();
  const connection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection });
  const bundle = { code: (await cachedWorkflowBundle(logger)).code };
  const workers = [];
  try {
    for (const withSlack of [false, true]) {
      const taskQueue = `histories-${withSlack ? 'slack' : 'plain'}`;
      const config = configFor(
        server.address,
        taskQueue,
        llm.baseURL,
        mcp.url,
        flaky.url,
        withSlack ? slack.apiUrl : undefined,
      );
      const worker = await createToolgateWorker({ config, connection, logger, workflowBundle: bundle });
      workers.push({ worker, running: worker.worker.run(), taskQueue, withSlack, config });
      await worker.promote();
    }
    for (const name of kinds) {
      const kind = KINDS[name];
      if (!kind) throw new Error(`unknown kind '${name}'; kinds: ${Object.keys(KINDS).join(', ')}`);
      routes[name] = kind.script;
      if (name === 'retries') flakyFailures = 1;
      const taskQueue = workers.find((entry) => entry.withSlack === (kind.slack === true))!.taskQueue;
      const started: Round[] = [];
      const entry = workers.find((candidate) => candidate.taskQueue === taskQueue)!;
      let reconfigured = false;
      const rounds = {
        reconfigure: async (edit: (config: ToolgateConfig) => ToolgateConfig) => {
          await entry.worker.close();
          await entry.running;
          const worker = await createToolgateWorker({
            config: edit(entry.config),
            connection,
            logger,
            workflowBundle: bundle,
          });
          Object.assign(entry, { worker, running: worker.worker.run() });
          reconfigured = true;
          for (const deadline = Date.now() + 10_000; !worker.recheck() && Date.now() < deadline;)
            await new Promise((resolve) => setTimeout(resolve, 20));
          await worker.recheck()?.done;
        },
        start: async (query: string, extra: { messages?: QueryRoundResult['messages'] } = {}) => {
          const workflowId = `history-${name}-${randomUUID().slice(0, 8)}`;
          const input = { query, requester: 'carol', ...kind.input, ...extra };
          const round = await client.workflow.start<typeof queryRound>('queryRound', {
            taskQueue,
            workflowId,
            args: [kind.unsigned ? input : testSigner.roundInput(workflowId, input)],
            staticSummary: query,
          });
          started.push(round);
          return round;
        },
      };
      const round = await rounds.start(name);
      await kind.drive?.(round, rounds);
      await round.result().catch(() => undefined);
      if (reconfigured) {
        // Later kinds run on the recorder's own configuration again.
        await entry.worker.close();
        await entry.running;
        const worker = await createToolgateWorker({ config: entry.config, connection, logger, workflowBundle: bundle });
        Object.assign(entry, { worker, running: worker.worker.run() });
      }
      const last = started.at(-1)!;
      writeFileSync(`${folder}${name}.json`, `${historyToJSON(await last.fetchHistory())}\n`);
      console.log(`recorded ${name}: ${kind.about}`);
    }
  } finally {
    for (const { worker, running } of workers) {
      await worker.close();
      await running;
    }
    await connection.close();
    await Promise.all([llm.close(), mcp.close(), flaky.close(), slack.close()]);
    await server.stop();
  }
}

if (import.meta.main) {
  const requested = process.argv.slice(2);
  await record(requested.length > 0 ? requested : Object.keys(KINDS));
}
