// The round checks what reaches it from outside (its input, every decision) with these guards rather than
// with the contract's zod schemas: zod schemas would be built anew in every cached round (about 1.2 MB each,
// measured). A property test (test/unit/input-checks.test.ts) holds the guards to the schemas, so that the
// schemas stay the one definition and the two cannot drift apart.
import { rememberProblems } from './grants/remember-terms.ts';
import {
  MAX_MESSAGE_CHARS,
  MAX_REASON_CHARS,
  MAX_STEPS_LIMIT,
  MAX_TOOL_CALLS_PER_REPLY_LIMIT,
} from './contract/names.ts';

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** Only the named keys (a strict object); `undefined` values count as absent. */
function onlyKeys(value: Fields, keys: string[]): boolean {
  return Object.keys(value).every((key) => keys.includes(key));
}

function isToolCall(value: unknown): boolean {
  return (
    isObject(value) &&
    onlyKeys(value, ['id', 'name', 'arguments']) &&
    isString(value.id) &&
    isString(value.name) &&
    isString(value.arguments)
  );
}

const text = (value: unknown): boolean => isString(value) && value.length <= MAX_MESSAGE_CHARS;

function isChatMessage(value: unknown): boolean {
  if (!isObject(value)) return false;
  switch (value.role) {
    case 'system':
    case 'user':
      return onlyKeys(value, ['role', 'content']) && text(value.content);
    case 'assistant':
      return (
        onlyKeys(value, ['role', 'content', 'toolCalls']) &&
        (value.content === null || text(value.content)) &&
        (value.toolCalls === undefined || (Array.isArray(value.toolCalls) && value.toolCalls.every(isToolCall)))
      );
    case 'tool':
      return onlyKeys(value, ['role', 'toolCallId', 'content']) && isString(value.toolCallId) && text(value.content);
    default:
      return false;
  }
}

function isSealedCredential(value: unknown): boolean {
  return isObject(value) && isString(value.keyId) && isString(value.sealed) && isString(value.expiresAt);
}

function isSignature(value: unknown): boolean {
  return (
    isObject(value) &&
    isString(value.keyId) &&
    value.keyId !== '' &&
    isString(value.sig) &&
    /^[0-9a-f]{128}$/.test(value.sig)
  );
}

const isIsoTime = (value: unknown): boolean => isString(value) && !Number.isNaN(Date.parse(value));

const isIntIn = (value: unknown, min: number, max: number): boolean =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;

function isTokenQuota(value: unknown): boolean {
  return (
    isObject(value) &&
    (value.period === 'day' || value.period === 'month') &&
    isIntIn(value.limit, 0, Number.MAX_SAFE_INTEGER) &&
    isIntIn(value.remaining, 0, Number.MAX_SAFE_INTEGER) &&
    isString(value.resetsAt)
  );
}

/** What is wrong with a round's input (QueryRoundInput), one sentence each; empty when nothing is. */
export function roundInputProblems(input: unknown): string[] {
  if (!isObject(input)) return ['input must be an object'];
  const problems: string[] = [];
  if (!isString(input.query) || input.query.trim() === '') problems.push('query must be a non-empty string');
  if (!isString(input.requester) || input.requester === '') problems.push('requester must be a non-empty string');
  if (input.messages !== undefined && !(Array.isArray(input.messages) && input.messages.every(isChatMessage))) {
    problems.push('messages must be chat messages (role system, user, assistant or tool)');
  }
  if (
    input.servers !== undefined &&
    !(Array.isArray(input.servers) && input.servers.every((name) => isString(name) && name !== ''))
  ) {
    problems.push('servers must be an array of server names');
  }
  if (
    input.toolCall !== undefined &&
    !(
      isObject(input.toolCall) &&
      onlyKeys(input.toolCall, ['name', 'arguments']) &&
      isString(input.toolCall.name) &&
      input.toolCall.name !== '' &&
      isObject(input.toolCall.arguments)
    )
  ) {
    problems.push('toolCall must be {name, arguments} with a non-empty name and an arguments object');
  }
  if (
    input.credentials !== undefined &&
    !(isObject(input.credentials) && Object.values(input.credentials).every(isSealedCredential))
  ) {
    problems.push('credentials must map server names to sealed credentials');
  }
  if (input.maxSteps !== undefined && !isIntIn(input.maxSteps, 1, MAX_STEPS_LIMIT))
    problems.push(`maxSteps must be an integer from 1 to ${MAX_STEPS_LIMIT}`);
  if (
    input.maxToolCallsPerReply !== undefined &&
    !isIntIn(input.maxToolCallsPerReply, 1, MAX_TOOL_CALLS_PER_REPLY_LIMIT)
  )
    problems.push(`maxToolCallsPerReply must be an integer from 1 to ${MAX_TOOL_CALLS_PER_REPLY_LIMIT}`);
  if (input.quota !== undefined && !isTokenQuota(input.quota))
    problems.push('quota must be {period: day|month, limit, remaining, resetsAt}');
  if (input.roundId !== undefined && !(isString(input.roundId) && input.roundId !== ''))
    problems.push('roundId must be a non-empty string');
  if (input.startedAt !== undefined && !isIsoTime(input.startedAt)) problems.push('startedAt must be an ISO time');
  if (input.signature !== undefined && !isSignature(input.signature))
    problems.push('signature must be {keyId, sig} with sig 128 hex characters');
  return problems;
}

/** What is wrong with a decision (DecisionRequest), one sentence each; empty when nothing is. */
export function decisionProblems(request: unknown): string[] {
  if (!isObject(request)) return ['decision is not an object'];
  const problems: string[] = [];
  if (!isString(request.approvalId)) problems.push('approvalId is missing');
  if (request.decision !== 'approve' && request.decision !== 'reject')
    problems.push('decision must be approve or reject');
  if (request.reason !== undefined && !(isString(request.reason) && request.reason.length <= MAX_REASON_CHARS)) {
    problems.push(`reason must be a string of at most ${MAX_REASON_CHARS} characters`);
  }
  const approver = request.approver;
  if (!isObject(approver) || !isString(approver.id) || approver.id === '') problems.push('approver.id is missing');
  if (!isObject(approver) || !['http', 'slack', 'cli', 'web', 'mcp'].includes(approver.channel as string))
    problems.push('approver.channel must be http, slack, cli, web or mcp');
  if (request.argsDigest !== undefined && !isString(request.argsDigest)) problems.push('argsDigest must be a string');
  if (request.previewDigest !== undefined && !isString(request.previewDigest))
    problems.push('previewDigest must be a string');
  if (request.receivedAt !== undefined && !isIsoTime(request.receivedAt))
    problems.push('receivedAt must be an ISO time');
  if (request.signature !== undefined && !isSignature(request.signature))
    problems.push('signature must be {keyId, sig} with sig 128 hex characters');
  if (request.arguments !== undefined && !isObject(request.arguments)) problems.push('arguments must be an object');
  if (request.editedArgsDigest !== undefined && !isString(request.editedArgsDigest))
    problems.push('editedArgsDigest must be a string');
  if (problems.length > 0) return problems;
  if (request.arguments !== undefined && request.decision !== 'approve')
    problems.push('arguments may only come with decision approve');
  if ((request.arguments === undefined) !== (request.editedArgsDigest === undefined))
    problems.push('arguments and editedArgsDigest come together');
  if (request.remember !== undefined) problems.push(...rememberProblems(request.remember, request.decision));
  return problems;
}
