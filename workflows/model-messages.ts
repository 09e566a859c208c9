// What the model is told when a tool call did not simply succeed. Each ends with an explicit instruction,
// because models otherwise retry the same call.
const DO_NOT_RETRY = 'Do not retry this exact tool call.';

export function rejectedMessage(tool: string, approverId: string, reason: string | undefined): string {
  return `Tool '${tool}' was rejected by ${approverId}: ${reason?.trim() || 'no reason given'}. ${DO_NOT_RETRY}`;
}

/** An approver changed the call: the model learns what ran, before the tool's output. */
export function editedCallMessage(
  approverId: string,
  originalJson: string,
  editedJson: string,
  output: string,
): string {
  return `Approved with changes by ${approverId}: ran with arguments ${editedJson} instead of ${originalJson}.\n\n${output}`;
}

export function expiredMessage(tool: string, timeoutMs: number): string {
  return `Tool '${tool}' was not run: approval expired after ${formatDuration(timeoutMs)} without a decision. ${DO_NOT_RETRY}`;
}

export function cancelledMessage(tool: string): string {
  return `Tool '${tool}' was not run: the round was cancelled. ${DO_NOT_RETRY}`;
}

/** A call beyond the per-reply bound: not run, and the model may ask for it again later (not an error of the call). */
export function overLimitMessage(tool: string, limit: number, calls: number): string {
  return `Tool call '${tool}' was not run: this reply asked for ${calls} tool calls and at most ${limit} of one reply run (the first ${limit}). If it is still needed, call it again in a later step.`;
}

export function invalidCallMessage(detail: string): string {
  return `Invalid tool call: ${detail} ${DO_NOT_RETRY}`;
}

export function unauthorizedMessage(tool: string, detail: string): string {
  return `Tool '${tool}' failed: not authorized by its MCP server (${detail}). ${DO_NOT_RETRY}`;
}

export function failedMessage(tool: string, attempts: number, detail: string): string {
  return `Tool '${tool}' failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${detail}. ${DO_NOT_RETRY}`;
}

/** The request may have reached the server: the model must check before it tries again. */
export function outcomeUnknownMessage(tool: string, detail: string): string {
  return `Tool '${tool}' may or may not have taken effect (${detail}): its outcome is unknown. It was not retried automatically; check whether it took effect before calling it again.`;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function credentialMissingMessage(tool: string, server: string): string {
  return `Tool '${tool}' was not run: server '${server}' acts with the requester's own credential, and this round was started without one. ${DO_NOT_RETRY}`;
}

export function credentialExpiredMessage(tool: string, expiresAt: string): string {
  return `Tool '${tool}' was not run: the requester's credential for its server expired at ${expiresAt}. Ask the user to sign in again and start a new round. ${DO_NOT_RETRY}`;
}
