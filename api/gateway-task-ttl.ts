// How long an MCP task lives (docs/gateway.md, "MCP task ids are workflow ids"): a task is its round, so it lives
// while the round runs (an approval's expiry bounds that, but escalation or an extension may move it: unknown,
// answered as null) and, once closed, as long as the namespace's retention keeps the closed round.
import type { ApiContext } from './api-context.ts';

/** The retention changes only when an operator changes the namespace: read again after this long. */
const RETENTION_READ_MS = 10 * 60_000;

const retentions = new WeakMap<ApiContext, { ms: number | null; readAt: number }>();

/** The namespace's retention of closed workflows in ms; null when Temporal does not say (or keeps them forever). */
async function retentionMs(context: ApiContext): Promise<number | null> {
  const cached = retentions.get(context);
  if (cached && Date.now() - cached.readAt < RETENTION_READ_MS) return cached.ms;
  const described = await context.client.workflowService.describeNamespace({ namespace: context.namespace });
  const ttl = described.config?.workflowExecutionRetentionTtl;
  const ms = ttl?.seconds ? Number(ttl.seconds) * 1000 + Math.floor((ttl.nanos ?? 0) / 1e6) : null;
  retentions.set(context, { ms, readAt: Date.now() });
  return ms;
}

/**
 * A task's `ttl` (ms from its creation, null for unlimited): null while its round runs; once closed, the time it
 * ran plus the retention. A namespace Temporal will not describe to this API (permissions) answers null.
 */
export async function taskTtl(
  context: ApiContext,
  startedAt: Date,
  closedAt: Date | undefined,
): Promise<number | null> {
  if (!closedAt) return null;
  const retention = await retentionMs(context).catch(() => null);
  return retention === null ? null : closedAt.getTime() - startedAt.getTime() + retention;
}
