// One query round: LLM steps, each followed by its tool calls, every gated call behind a durable approval.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { LlmReply, QueryRoundInput, QueryRoundResult, TokenQuota, ToolgateActivities } from './contract.ts';
import { roundInputProblems } from './input-checks.ts';
import type { SigningPublicKey } from './contract/signatures.ts';
import { roundSigningText, signatureProblem } from './shared/signatures.ts';
import { FailureType } from './contract/failures.ts';
import { decideSignal, decideUpdate, eventsQuery, policyChangedSignal, stateQuery } from './contract/handlers.ts';
import { RoundContext } from './round-context.ts';
import { describeSpan, inSpan } from './round-spans.ts';
import { runToolCalls } from './tool-calls.ts';
import { isPatched, settleRoundPatches } from './round-patches.ts';
import { TOKEN_QUOTA_PATCH, quotaExhausted } from './token-quota.ts';
import { buildToolDirectory, type ToolDirectory } from './tool-names.ts';
import { boundResults, gatheredLocally } from './local-reads.ts';

const NOTIFICATION_GRACE: Duration = '1 minute';

type GivenCall = NonNullable<QueryRoundInput['toolCall']>;

// Activities heartbeat: a worker lost mid-call is noticed within the heartbeat timeout, not at the deadline.
const HEARTBEAT_TIMEOUT = '15 seconds';

const { listTools } = proxyActivities<ToolgateActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { maximumAttempts: 3 },
});

const llmOptions: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 6,
    nonRetryableErrorTypes: [FailureType.LlmRejected],
  },
};
const { callLlm } = proxyActivities<ToolgateActivities>(llmOptions);

/**
 * Since this patch, tool listing and LLM calls run as local activities: inside the workflow task that asks
 * for them, on the same worker, with no dispatch through the server (a round of 4 LLM calls saves 5 workflow
 * tasks and 10 history events). Their retries are Temporal's as before; a lost worker re-runs them with the
 * workflow task. Rounds started before it keep remote activities (replay).
 */
export const LOCAL_LLM_PATCH = 'local-llm-and-tools';

const localOptions: LocalActivityOptions = {
  startToCloseTimeout: llmOptions.startToCloseTimeout,
  retry: llmOptions.retry,
};
const local = proxyLocalActivities<ToolgateActivities>(localOptions);

/**
 * Since this patch, a round trusts only what the API signed: its input (so nobody starts a round as someone
 * else) and every decision (so nobody with write access to the namespace approves as someone else, or backdates
 * a decision). The keys come from the worker once, through a local activity whose result history keeps.
 */
export const SIGNED_PATCH = 'signed-decisions';

/** How far the signed start time may be from the round's own: the API's and the server's clocks, and retries. */
const START_SKEW_MS = 5 * 60_000;

function unsignedInput(input: QueryRoundInput, keys: readonly SigningPublicKey[]): string | undefined {
  const problem = signatureProblem(roundSigningText(input), input.signature, keys);
  if (problem) return `the round input is refused: ${problem}`;
  const { workflowId, startTime } = workflowInfo();
  if (input.roundId !== workflowId)
    return `the input was signed for round ${input.roundId ?? '(none)'}, not ${workflowId}`;
  const skew = Math.abs(Date.parse(input.startedAt ?? '') - startTime.getTime());
  if (!(skew <= START_SKEW_MS))
    return `the input was signed at ${input.startedAt ?? '(no time)'}, not when this round started (${startTime.toISOString()})`;
  return undefined;
}

/** Loads the keys, refuses an input the API did not sign for this very round, then requires signed decisions. */
async function requireSignatures(round: RoundContext): Promise<void> {
  const { keys } = await local.signingKeys.executeWithOptions({ ...localOptions, summary: 'signing keys' }, []);
  const problem = unsignedInput(round.input, keys);
  if (problem) {
    throw ApplicationFailure.nonRetryable(
      `${problem}; rounds start through the API (POST /v1/rounds) or with input signed by \`toolgate sign-round\``,
      FailureType.UnsignedRoundInput,
    );
  }
  round.book.requireSignatures(keys);
}

/** Rounds may be started by hand (`temporal workflow start`), so the input is checked, not trusted. */
function checkedInput(input: QueryRoundInput): QueryRoundInput {
  const problems = roundInputProblems(input);
  if (problems.length > 0)
    throw ApplicationFailure.nonRetryable(`Invalid round input: ${problems.join('; ')}`, 'InvalidRoundInput');
  return input;
}

function registerHandlers(round: RoundContext): void {
  setHandler(decideSignal, (request) => {
    round.book.decide(request);
  });
  setHandler(decideUpdate, (request) => round.book.decide(request), {
    validator: (request) => round.book.validate(request),
  });
  setHandler(policyChangedSignal, () => round.policyFollow.nudge());
  setHandler(stateQuery, () => round.state());
  setHandler(eventsQuery, (afterId) => round.events.page(afterId));
}

/** How this round calls the model, settled by patches in its first task. */
interface ModelAccess {
  /** As a local activity (LOCAL_LLM_PATCH). */
  locally: boolean;
  /** The quota each call is checked against (TOKEN_QUOTA_PATCH). */
  quota: TokenQuota | undefined;
}

/** One LLM call; on the last step tools are disabled so that the model must answer. */
async function askModel(round: RoundContext, directory: ToolDirectory, access: ModelAccess): Promise<LlmReply> {
  const exhausted = access.quota && quotaExhausted(access.quota, round.usage, round.requester);
  if (exhausted) throw ApplicationFailure.nonRetryable(exhausted, FailureType.TokenQuotaExhausted);
  const lastStep = round.step === round.maxSteps;
  round.fitTranscript();
  round.publish();
  const request = {
    messages: round.messages,
    tools: directory.definitions,
    toolChoice: lastStep ? 'none' : 'auto',
    step: round.step,
  } as const;
  const summary = `step ${round.step}: LLM${lastStep ? ' (tools disabled)' : ''}`;
  const reply = access.locally
    ? await local.callLlm.executeWithOptions({ ...localOptions, summary }, [request])
    : await callLlm.executeWithOptions({ ...llmOptions, summary }, [request]);
  round.addUsage(reply.usage);
  if (access.locally) gatheredLocally(JSON.stringify(reply).length);
  round.events.emit({
    type: 'llm_step',
    step: round.step,
    toolCalls: reply.toolCalls.length,
    finishReason: reply.finishReason,
    usage: reply.usage,
  });
  return reply;
}

/** One step: the model's reply, then its tool calls. Returns the answer once the model gives one. */
async function runStep(
  round: RoundContext,
  directory: ToolDirectory,
  access: ModelAccess,
): Promise<string | undefined> {
  const reply = await askModel(round, directory, access);
  if (reply.toolCalls.length === 0 || round.step === round.maxSteps) return reply.content ?? '';
  round.messages.push({ role: 'assistant', content: reply.content, toolCalls: reply.toolCalls });
  const settled = await runToolCalls(round, directory, reply.toolCalls);
  for (const { record, content } of settled)
    round.messages.push({ role: 'tool', toolCallId: record.toolCallId, content });
  return undefined;
}

/**
 * A round without an LLM (input `toolCall`, the MCP gateway): one step whose reply is the given call, so it is
 * resolved, gated and run exactly as a model's call is; the answer is its content. No LLM call, no tokens.
 */
async function runGivenCall(round: RoundContext, directory: ToolDirectory, given: GivenCall): Promise<string> {
  round.step = 1;
  const call = { id: 'mcp-call', name: given.name, arguments: JSON.stringify(given.arguments) };
  round.messages.push({ role: 'assistant', content: null, toolCalls: [call] });
  const settled = await inSpan('step 1', { 'toolgate.round.step': 1 }, () => runToolCalls(round, directory, [call]));
  const { content } = settled[0]!;
  round.messages.push({ role: 'tool', toolCallId: call.id, content });
  return content;
}

/** Steps until the model answers (it must on the last one), each in its own span. */
async function runSteps(round: RoundContext, directory: ToolDirectory, access: ModelAccess): Promise<string> {
  for (round.step = 1; ; round.step++) {
    const answer = await inSpan(`step ${round.step}`, { 'toolgate.round.step': round.step }, () =>
      runStep(round, directory, access),
    );
    if (answer !== undefined) return answer;
  }
}

export async function queryRound(rawInput: QueryRoundInput): Promise<QueryRoundResult> {
  const round = new RoundContext(workflowInfo().workflowId, checkedInput(rawInput));
  describeSpan({ 'toolgate.round.id': round.roundId });
  registerHandlers(round);
  try {
    // Every patch of the first task is asked before its first local activity: a patch marker first recorded
    // after a local activity's marker in the same task does not replay.
    const fast = settleRoundPatches(round.input.toolCall !== undefined);
    const signed = isPatched(SIGNED_PATCH);
    round.publish();
    const locally = isPatched(LOCAL_LLM_PATCH);
    const quota = round.input.quota && isPatched(TOKEN_QUOTA_PATCH) ? round.input.quota : undefined;
    const listing = { servers: round.input.servers };
    // A fast-path round lists while it loads the keys (listing is read-only; nothing listed is used before the
    // input's signature is checked): its first task waits for one activity, not two in a row.
    const [, catalog] = fast
      ? await Promise.all([requireSignatures(round), local.listTools(listing)])
      : [signed ? await requireSignatures(round) : undefined, await (locally ? local.listTools : listTools)(listing)];
    const directory = buildToolDirectory(catalog.tools);
    boundResults(catalog.toolOutputChars);
    round.begin(
      catalog,
      directory.definitions.map((definition) => definition.name),
    );
    // Branching on the input alone: no earlier history carries `toolCall`, so no patch marker is needed.
    const given = round.input.toolCall;
    const answer = given
      ? await runGivenCall(round, directory, given)
      : await runSteps(round, directory, { locally, quota });
    const result = round.complete(answer, catalog);
    await round.notices.settle(NOTIFICATION_GRACE);
    await condition(allHandlersFinished);
    return result;
  } catch (error) {
    // Anything but a cancellation or an activity's failure is a bug in workflow code: let the workflow task
    // fail and retry until a fix is deployed.
    if (!(error instanceof ActivityFailure) && !(error instanceof ApplicationFailure) && !isCancellation(error))
      throw error;
    const failure = round.fail(error);
    await CancellationScope.nonCancellable(() => round.notices.settle(NOTIFICATION_GRACE));
    throw failure;
  }
}
