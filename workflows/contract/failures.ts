/**
 * `ApplicationFailure.type` values thrown by activities and update validators. MCP failures say where the call
 * failed, not what failed: whether the request can have reached the server decides whether it may be sent again.
 */
export const FailureType = {
  LlmRejected: 'LlmRequestRejected',
  LlmUnavailable: 'LlmUnavailable',
  /** The server refused the call without running it (invalid params, unknown method or tool). */
  McpInvalidCall: 'McpInvalidCall',
  McpUnauthorized: 'McpUnauthorized',
  /** Provably never reached the server (refused, DNS, TLS, 429/503, no session): safe to send again. */
  McpNotSent: 'McpNotSent',
  /** May have reached the server (reset, timeout, 5xx, closed mid-call, -32603): the tool may have run. */
  McpOutcomeUnknown: 'McpOutcomeUnknown',
  McpUnknownServer: 'McpUnknownServer',
  InvalidDecision: 'InvalidDecision',
  ApprovalNotFound: 'ApprovalNotFound',
  ApprovalClosed: 'ApprovalClosed',
  DigestMismatch: 'DigestMismatch',
  NotAnApprover: 'NotAnApprover',
  /** A quorum approval: this person's decision already counted (one person counts once). */
  AlreadyDecided: 'AlreadyDecided',
  /** A quorum approval: this person fills none of the requirements still unmet, so the decision cannot count. */
  DecisionNotNeeded: 'DecisionNotNeeded',
  /** An edited call (approve with `arguments`) the tool cannot take: its schema, depth or size; details list why. */
  InvalidEdit: 'InvalidEdit',
  /** An edit this approval does not allow: the tool is not editable, a quorum, secrets, or policy under the edit. */
  EditNotAllowed: 'EditNotAllowed',
  /** The decision names a preview digest other than the approval's: the approver saw another preview. */
  PreviewMismatch: 'PreviewMismatch',
  /** A decision without a valid signature of a key the round loaded (docs/operations.md, "Signed decisions"). */
  UnsignedDecision: 'UnsignedDecision',
  /** A round whose input the API did not sign for this execution: it fails before any LLM or tool call. */
  UnsignedRoundInput: 'UnsignedRoundInput',
  /** The requester's LLM token quota is used up: the round ends without asking the model again. */
  TokenQuotaExhausted: 'TokenQuotaExhausted',
  /** A decision asked to remember where no grant may be made (tool `grants: false`, a quorum, a round without grants). */
  GrantNotAllowed: 'GrantNotAllowed',
  /** The requester holds `approvals.grants.perRequester` live grants: no more until one ends. */
  GrantLimitReached: 'GrantLimitReached',
  GrantNotFound: 'GrantNotFound',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
