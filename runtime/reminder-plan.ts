// A tool's reminders, escalation and on-timeout action resolved from its server and tool entries into the plan
// the round follows (milliseconds after the approval opened), or the reasons the configuration cannot be
// followed. The config loader reports the reasons; the worker resolves only configurations that loaded.
import type { ReminderPlan } from '../workflows/contract.ts';
import type { ServerConfig, ToolOverrideConfig } from './config.ts';

type Entry = Pick<ToolOverrideConfig, 'remind' | 'escalate' | 'onTimeout' | 'approvalTimeout' | 'quorum' | 'approvers'>;
type Point = { percent: number } | { ms: number };

export interface PlanProblem {
  field: 'remind' | 'escalate' | 'onTimeout';
  message: string;
}

function describe(point: Point): string {
  return 'percent' in point ? `${point.percent}%` : `${point.ms}ms`;
}

/** A point as milliseconds after opening, or why it cannot be one: it must fall strictly inside the timeout. */
function offset(point: Point, timeoutMs: number): number | string {
  if ('percent' in point) {
    if (point.percent <= 0 || point.percent >= 100)
      return `${describe(point)} is not between 0% and 100% (both excluded)`;
    return Math.max(1, Math.round((timeoutMs * point.percent) / 100));
  }
  return point.ms < timeoutMs ? point.ms : `${describe(point)} is not before the approval timeout (${timeoutMs}ms)`;
}

/**
 * The plan of a tool (or, without `tool`, of the server's tools that have no entry), or undefined when nothing is
 * configured beyond the default `onTimeout: reject`: such approvals wait exactly as before.
 */
export function reminderPlan(
  config: { approvals: { timeout: number; groups: Record<string, string[]> } },
  server: Pick<ServerConfig, keyof Entry>,
  tool: Entry | undefined,
): { plan?: ReminderPlan; problems: PlanProblem[] } {
  const remind = tool?.remind ?? server.remind;
  const escalate = tool?.escalate ?? server.escalate;
  const onTimeout = tool?.onTimeout ?? server.onTimeout ?? 'reject';
  if (!remind && !escalate && onTimeout === 'reject') return { problems: [] };
  const timeoutMs = tool?.approvalTimeout ?? server.approvalTimeout ?? config.approvals.timeout;
  const problems: PlanProblem[] = [];
  const remindAfterMs: number[] = [];
  for (const point of remind?.at ?? []) {
    const at = offset(point, timeoutMs);
    if (typeof at === 'string') problems.push({ field: 'remind', message: at });
    else remindAfterMs.push(at);
  }
  let escalation: ReminderPlan['escalate'];
  if (escalate) {
    const at = escalate.at && offset(escalate.at, timeoutMs);
    if (typeof at === 'string') problems.push({ field: 'escalate', message: at });
    const group = typeof escalate.to === 'string' ? escalate.to : undefined;
    const members = group === undefined ? (escalate.to as string[]) : config.approvals.groups[group];
    if (!members) problems.push({ field: 'escalate', message: `no group '${group}' in approvals.groups` });
    if (typeof at === 'number' && remindAfterMs.some((remindAt) => remindAt >= at))
      problems.push({ field: 'remind', message: 'every reminder must come before the escalation' });
    if (at === undefined && onTimeout !== 'escalate-and-extend')
      problems.push({
        field: 'escalate',
        message: 'an escalation without `at` happens only with onTimeout: escalate-and-extend',
      });
    const quorum = tool?.approvers ? undefined : (tool?.quorum ?? server.quorum);
    if (quorum)
      problems.push({
        field: 'escalate',
        message: 'a quorum approval cannot be escalated: the people added would fill none of its requirements',
      });
    escalation = {
      ...(typeof at === 'number' ? { afterMs: at } : {}),
      to: [...new Set(members ?? [])],
      ...(group === undefined ? {} : { group }),
      ...(escalate.slackChannel === undefined ? {} : { slackChannel: escalate.slackChannel }),
    };
  }
  if (problems.length > 0) return { problems };
  return {
    plan: {
      remindAfterMs: [...new Set(remindAfterMs)].sort((a, b) => a - b),
      ...(escalation ? { escalate: escalation } : {}),
      onTimeout,
    },
    problems,
  };
}
