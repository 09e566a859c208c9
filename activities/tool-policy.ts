// Resolves the policy of one tool from the worker's config: tool entry, then server entry, then defaults.
import type { ToolPolicy } from '../workflows/contract.ts';
import type { ServerConfig, ToolgateConfig } from '../runtime/config.ts';

export function resolveToolPolicy(config: ToolgateConfig, server: ServerConfig, toolName: string): ToolPolicy {
  const tool = Object.hasOwn(server.tools, toolName) ? server.tools[toolName] : undefined;
  return {
    approval: tool?.approval ?? server.approval,
    trusted: server.trusted,
    openWorld: server.openWorld,
    argumentRules: [...server.rules, ...(tool?.rules ?? [])],
    redact: [...server.redact, ...(tool?.redact ?? [])],
    approvalTimeoutMs: tool?.approvalTimeout ?? server.approvalTimeout ?? config.approvals.timeout,
    approvers: tool?.approvers ?? server.approvers ?? config.approvals.approvers,
    allowSelfApproval: tool?.allowSelfApproval ?? server.allowSelfApproval ?? config.approvals.allowSelfApproval,
    callTimeoutMs: tool?.timeout ?? server.timeout,
    idempotent: tool?.idempotent,
    ...(server.transport === 'http' && server.userCredential
      ? { userCredential: { required: server.userCredential.required } }
      : {}),
    retry: {
      maxAttempts: server.retry.maxAttempts,
      initialDelayMs: server.retry.initialDelay,
      maxDelayMs: server.retry.maxDelay,
    },
  };
}
