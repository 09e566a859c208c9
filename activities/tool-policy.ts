// Resolves the policy of one tool from the worker's config: tool entry, then server entry, then defaults.
import type { ToolPolicy } from '../workflows/contract.ts';
import type { ServerConfig, ToolgateConfig } from '../runtime/config.ts';
import { reminderPlan } from '../runtime/reminder-plan.ts';

/**
 * The tool's quorum with each group's members as configured now: the round keeps them, so a group edited later
 * does not change who counts for an approval already open. Its approvers are every member of the groups named.
 */
function resolveQuorum(
  config: ToolgateConfig,
  server: ServerConfig,
  tool: ServerConfig['tools'][string] | undefined,
): Pick<ToolPolicy, 'approvers' | 'quorum'> | undefined {
  const requirements = tool?.quorum ?? server.quorum;
  if (!requirements) return undefined;
  const resolved = requirements.map((requirement) => ({
    ...requirement,
    members: [...new Set(config.approvals.groups[requirement.group] ?? [])],
  }));
  return {
    approvers: [...new Set(resolved.flatMap((requirement) => requirement.members))],
    quorum: {
      requirements: resolved,
      rejectWith: tool?.rejectWith ?? server.rejectWith ?? config.approvals.rejectWith,
    },
  };
}

export function resolveToolPolicy(config: ToolgateConfig, server: ServerConfig, toolName: string): ToolPolicy {
  const tool = Object.hasOwn(server.tools, toolName) ? server.tools[toolName] : undefined;
  // A tool's own approvers replace a server's quorum, as a tool's quorum replaces the server's approvers.
  const quorum = tool?.approvers ? undefined : resolveQuorum(config, server, tool);
  const { plan: reminders } = reminderPlan(config, server, tool);
  const grants = tool?.grants ?? server.grants;
  return {
    approval: tool?.approval ?? server.approval,
    trusted: server.trusted,
    openWorld: server.openWorld,
    argumentRules: [...server.rules, ...(tool?.rules ?? [])],
    redact: [...server.redact, ...(tool?.redact ?? [])],
    approvalTimeoutMs: tool?.approvalTimeout ?? server.approvalTimeout ?? config.approvals.timeout,
    approvers: tool?.approvers ?? server.approvers ?? config.approvals.approvers,
    allowSelfApproval: tool?.allowSelfApproval ?? server.allowSelfApproval ?? config.approvals.allowSelfApproval,
    ...quorum,
    ...(reminders ? { reminders } : {}),
    ...(tool?.preview
      ? {
          preview: {
            tool: tool.preview.tool,
            ...(tool.preview.arguments ? { arguments: tool.preview.arguments } : {}),
            timeoutMs: tool.preview.timeout,
          },
        }
      : {}),
    callTimeoutMs: tool?.timeout ?? server.timeout,
    idempotent: tool?.idempotent,
    // Only a refusal is carried: a policy without the key allows edits, as before the setting existed.
    ...((tool?.editable ?? server.editable) === false ? { editable: false } : {}),
    ...(server.transport === 'http' && server.userCredential
      ? { userCredential: { required: server.userCredential.required } }
      : {}),
    retry: {
      maxAttempts: server.retry.maxAttempts,
      initialDelayMs: server.retry.initialDelay,
      maxDelayMs: server.retry.maxDelay,
    },
    ...(grants === false ? { grants } : {}),
  };
}
