// Names shared by every part of toolgate and by operators: task queue, workflow type, search attributes, memo
// keys and the bounds of a round. Defined once here, imported everywhere else.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TASK_QUEUE = 'toolgate';
export const WORKFLOW_TYPE = 'queryRound';
/** The MCP gateway's tools/list: the worker lists the configured servers' tools (docs/gateway.md). */
export const GATEWAY_CATALOG_WORKFLOW_TYPE = 'gatewayCatalog';

/** Custom search attributes: registered on the namespace (the dev-server bootstrap does it). */
export const StatusAttribute = defineSearchAttributeKey('ToolgateStatus', SearchAttributeType.KEYWORD);
export const RequesterAttribute = defineSearchAttributeKey('ToolgateRequester', SearchAttributeType.KEYWORD);
export const PendingApprovalsAttribute = defineSearchAttributeKey(
  'ToolgatePendingApprovals',
  SearchAttributeType.KEYWORD_LIST,
);
/** Everyone who may decide one of the round's approvals (`*` included): who may read it, and whose list it is on. */
export const ApproversAttribute = defineSearchAttributeKey('ToolgateApprovers', SearchAttributeType.KEYWORD_LIST);
/** `server/tool` of every tool the round called: an operator finds every round that called a tool. */
export const ToolsAttribute = defineSearchAttributeKey('ToolgateTools', SearchAttributeType.KEYWORD_LIST);
/** LLM tokens the round used so far: the API sums them per requester and period for token quotas. */
export const TokensAttribute = defineSearchAttributeKey('ToolgateTokens', SearchAttributeType.INT);
/** Every custom search attribute a namespace needs before rounds run on it. */
export const SEARCH_ATTRIBUTES = [
  StatusAttribute,
  RequesterAttribute,
  PendingApprovalsAttribute,
  ApproversAttribute,
  ToolsAttribute,
  TokensAttribute,
] as const;

/** Memo keys the round publishes. */
export const Memo = {
  /** Summaries of the pending approvals (ApprovalSummary[]), for listings that need no worker. */
  pendingApprovals: 'pendingApprovals',
  /** Approvals a policy re-check touched (RecheckedApproval[]), closed ones too: the audit reads them from history. */
  policyRechecks: 'policyRechecks',
} as const;

/** Steps of one round: the configured default, and the bound every input is held to. */
export const DEFAULT_MAX_STEPS = 5;
export const MAX_STEPS_LIMIT = 50;
/** Tool calls of one model reply that run: the configured default, and the bound every input is held to. */
export const DEFAULT_TOOL_CALLS_PER_REPLY = 8;
export const MAX_TOOL_CALLS_PER_REPLY_LIMIT = 64;
/** Bound on one message's text; conversations longer than this belong in a later round. */
export const MAX_MESSAGE_CHARS = 100_000;
/** A rejection's reason is what the model is told: bounded so it cannot grow the round's state without end. */
export const MAX_REASON_CHARS = 2000;
/** Edited arguments (edit on approve), as canonical JSON: they live in the round's state and history. */
export const MAX_EDITED_ARGUMENTS_CHARS = 100_000;
