// Human-readable output: one line per event, summaries and tables. Machine output (--json) bypasses this.
import type {
  Grant,
  ApprovalRecord,
  ApprovalSummary,
  DecisionRecord,
  RoundEvent,
  RoundState,
  ToolCallRecord,
} from '../workflows/contract.ts';
import type { ApiError } from '../runtime/api-error.ts';
import { clip } from '../workflows/shared/clip.ts';
import { reviewReasons } from '../workflows/shared/approval-summary.ts';
import { escapeInvisible } from '../workflows/shared/visible-text.ts';
import { quorumLine } from '../workflows/shared/quorum-text.ts';
import { reminderLines, reminderStepText } from '../workflows/shared/reminder-text.ts';
import { policyTrailText, recheckEventText } from '../workflows/shared/policy-trail-text.ts';
import { previewLine } from '../workflows/shared/preview-text.ts';
import type { ApprovalResponse, QuotaResponse } from '../runtime/http-api.ts';

export const PROGRAM = 'toolgate';

/** One line of at most `max` characters, invisible characters escaped. */
export function oneLine(text: string, max: number): string {
  return clip(escapeInvisible(text.replace(/[ \t\n\r]+/g, ' ').trim()), max);
}

/** `!` marks, for lists, an approval whose arguments hold more than a one-click decision may see. */
function flags(approval: ApprovalSummary): string {
  const warnings = reviewReasons(approval, Infinity);
  return warnings.length > 0 ? ` (! ${warnings.join('; ')})` : '';
}

/** Everything an approver decides on: the call, its warnings and every argument. */
export function formatFullApproval(approval: ApprovalResponse, decision: 'approve' | 'reject'): string {
  return [
    `${decision === 'approve' ? 'approving' : 'rejecting'} ${approval.server}/${approval.tool} (approval ${approval.approvalId})`,
    `  requested by ${approval.requester}, digest ${approval.argsDigest}, expires ${when(approval.expiresAt)}`,
    ...(approval.quorum ? [`  ${quorumLine(approval.quorum)}`] : []),
    ...reminderLines(approval.reminders, when).map((line) => `  ${oneLine(line, 2000)}`),
    ...(approval.policy?.recheckedOn ? [`  policy: ${oneLine(policyTrailText(approval.policy) ?? '', 600)}`] : []),
    ...reviewReasons(approval, Infinity).map((warning) => `  ! ${oneLine(warning, 2000)}`),
    'arguments:',
    approval.argumentsText ?? '',
    ...previewLines(approval),
  ].join('\n');
}

/** The preview in full after the arguments; an MCP server wrote it, so invisible characters are shown escaped. */
function previewLines(approval: ApprovalResponse): string[] {
  const { preview } = approval;
  if (!preview) return [];
  return [
    `${escapeInvisible(previewLine(preview))}:`,
    escapeInvisible(preview.content ?? '(not shown: no worker answered in time)'),
  ];
}

/** `in 59m`, `3s ago`: how far a timestamp is from now. */
export function relative(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return iso;
  const seconds = Math.round(Math.abs(ms) / 1000);
  const span =
    seconds < 90
      ? `${seconds}s`
      : seconds < 90 * 60
        ? `${Math.round(seconds / 60)}m`
        : seconds < 36 * 3600
          ? `${Math.round(seconds / 3600)}h`
          : `${Math.round(seconds / 86400)}d`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

function when(iso: string): string {
  return `${iso.replace(/\.\d+Z$/, 'Z')} (${relative(iso)})`;
}

/** `server/tool`, dropping the `server__` qualifier the model sees when two servers share a name. */
function toolLabel(name: string, server: string | undefined): string {
  if (!server) return name;
  const bare = name.startsWith(`${server}__`) ? name.slice(server.length + 2) : name;
  return `${server}/${bare}`;
}

function decidedBy(decision: DecisionRecord | undefined): string {
  if (!decision) return '';
  return ` by ${decision.approver.id} (${decision.approver.channel})${decision.reason ? `: ${JSON.stringify(decision.reason)}` : ''}`;
}

function quoteArg(value: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The command an operator types, with --url when it is not the default (so copy-paste hits the same API). */
export function commandLine(args: string[], url: string | undefined): string {
  return [PROGRAM, ...(url ? ['--url', url] : []), ...args].map(quoteArg).join(' ');
}

/** `answerShown`: the answer streamed already (ask printed it as it came), so the final event does not repeat it. */
export function formatEvent(event: RoundEvent, commandUrl: string | undefined, answerShown = false): string {
  const head = `[${event.id}] ${event.type} `;
  switch (event.type) {
    case 'round_started': {
      const unavailable =
        event.unavailableServers.length > 0 ? `; unavailable: ${event.unavailableServers.join(', ')}` : '';
      return `${head} by ${event.requester}, ${event.tools.length} tool${event.tools.length === 1 ? '' : 's'}${unavailable}`;
    }
    case 'llm_step': {
      const calls = event.toolCalls === 1 ? '1 tool call' : `${event.toolCalls} tool calls`;
      return `${head} step ${event.step}: ${calls} (${event.finishReason}, ${event.usage.totalTokens} tokens)`;
    }
    case 'tool_call':
      return `${head} ${toolLabel(event.name, event.server)} ${oneLine(event.arguments, 160)}`;
    case 'approval_required': {
      const a = event.approval;
      return [
        `${head} ${a.server}/${a.tool} ${oneLine(a.argsPreview, 160)}${flags(a)}`,
        `    approval ${a.approvalId}  digest ${a.argsDigest.slice(0, 12)}…  expires ${when(a.expiresAt)}`,
        ...(a.quorum ? [`    ${quorumLine(a.quorum)}`] : []),
        ...(a.preview ? [`    ${oneLine(previewLine(a.preview), 400)}`] : []),
        `    approve: ${commandLine(['approve', a.approvalId], commandUrl)}`,
        `    reject:  ${commandLine(['reject', a.approvalId, '--reason'], commandUrl)} "<why>"`,
      ].join('\n');
    }
    case 'approval_decided':
      return `${head} ${event.approvalId} ${event.status}${decidedBy(event.decision)}`;
    case 'approval_counted':
      return `${head} ${event.approvalId} ${event.decision.decision} counted${decidedBy(event.decision)}; ${quorumLine(event.quorum)}`;
    case 'approval_reminded':
    case 'approval_escalated':
    case 'approval_extended':
      return `${head} ${event.approvalId} ${oneLine(reminderStepText(event.step, when), 2000)}`;
    case 'approval_rechecked':
      return `${head} ${event.approvalId} ${event.outcome}: ${oneLine(recheckEventText(event), 600)}`;
    case 'approval_readdressed':
      return `${head} ${event.approvalId} now decided by ${oneLine(event.approvers.join(', '), 300)}${event.quorum ? `; ${oneLine(quorumLine(event.quorum), 300)}` : ''}`;
    case 'tool_result':
      return `${head} ${event.name} ${event.outcome}: ${oneLine(event.content, 200)}${event.truncated ? ' (truncated)' : ''}`;
    case 'round_completed': {
      const after = `${head} after ${event.steps} step${event.steps === 1 ? '' : 's'}`;
      return answerShown ? after : `${after}\n\n${event.answer}`;
    }
    case 'round_failed':
      return `${head} ${event.error.type}: ${event.error.message}`;
    case 'grant_created':
      return `${head} ${event.approvalId}: ${grantLine(event.grant)}`;
    case 'grant_failed':
      return `${head} ${event.approvalId}: no grant: ${oneLine(event.reason, 200)}`;
  }
}

/** A grant as one line: what it covers, until when, and whose decision it remembers. */
export function grantLine(grant: Grant): string {
  const covers = grant.pattern
    ? Object.entries(grant.pattern)
        .map(([path, glob]) => `${oneLine(path, 60)}=${oneLine(glob, 60)}`)
        .join(' ')
    : `digest ${grant.argsDigest?.slice(0, 12)}…`;
  return `grant ${grant.grantId}  ${grant.server}/${grant.tool}  ${covers}  until ${when(grant.expiresAt)}  by ${oneLine(grant.createdBy.id, 60)} (${grant.createdBy.channel}) on ${grant.fromApproval}`;
}

function toolCallLine(call: ToolCallRecord): string {
  const args = call.arguments ? ` ${oneLine(JSON.stringify(call.arguments), 100)}` : '';
  const extras = [
    call.approvalId ? `approval ${call.approvalId}` : '',
    call.attempts > 1 ? `${call.attempts} attempts` : '',
    call.reusedFrom ? `reused from ${call.reusedFrom}` : '',
  ].filter(Boolean);
  const label = call.server && call.tool ? `${call.server}/${call.tool}` : call.name;
  return `  ${call.step}.${call.callIndex}  ${label}${args}  ${call.outcome}${extras.length ? `  [${extras.join(', ')}]` : ''}`;
}

/** One approval and where it stands; the round view and an approver's view of it both list them so. */
export function approvalLine(
  approval: Pick<
    ApprovalRecord,
    'approvalId' | 'server' | 'tool' | 'status' | 'decision' | 'expiresAt' | 'quorum' | 'reminders' | 'policy'
  >,
): string {
  const pending = approval.status === 'pending' ? `  expires ${when(approval.expiresAt)}` : '';
  const quorum = approval.quorum
    ? `
    ${quorumLine(approval.quorum)}`
    : '';
  const reminders = reminderLines(approval.reminders, when)
    .map((line) => `\n    ${oneLine(line, 2000)}`)
    .join('');
  const trail = policyTrailText(approval.policy);
  const policy = approval.policy?.recheckedOn && trail ? `\n    policy: ${oneLine(trail, 600)}` : '';
  return `  ${approval.approvalId}  ${approval.server}/${approval.tool}  ${approval.status}${decidedBy(approval.decision)}${pending}${quorum}${reminders}${policy}`;
}

export function formatRound(state: RoundState & { links?: { webUi?: string } }): string {
  const lines = [
    `round     ${state.roundId}`,
    `status    ${state.status} (step ${state.step} of at most ${state.maxSteps})`,
    `requester ${state.requester}`,
    `query     ${oneLine(state.query, 200)}`,
    `tokens    ${state.usage.totalTokens}`,
  ];
  if (state.links?.webUi) lines.push(`web UI    ${state.links.webUi}`);
  lines.push('', state.toolCalls.length ? 'tool calls:' : 'tool calls: none', ...state.toolCalls.map(toolCallLine));
  lines.push('', state.approvals.length ? 'approvals:' : 'approvals: none', ...state.approvals.map(approvalLine));
  if (state.error) lines.push('', `error: ${state.error.type}: ${state.error.message}`);
  if (state.answer !== undefined) lines.push('', 'answer:', state.answer);
  return lines.join('\n');
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatApprovals(approvals: ApprovalSummary[]): string {
  if (approvals.length === 0) return 'No pending approvals.';
  return formatTable(
    ['APPROVAL', 'TOOL', 'SERVER', 'REQUESTER', 'ARGS', 'EXPIRES'],
    approvals.map((a) => [
      a.approvalId,
      a.tool,
      a.server,
      a.requester,
      `${oneLine(a.argsPreview, 48)}${reviewReasons(a, Infinity).length > 0 ? ' !' : ''}`,
      when(a.expiresAt),
    ]),
  );
}

/** One line, e.g. `409 approval_closed: Approval x is already rejected by bob (http)`. */
export function formatHttpError(error: ApiError): string {
  let message = error.message;
  const by = error.details.decidedBy;
  // A round that has already ended reports the closed approval from its state, without the decider in the message.
  if (error.code === 'approval_closed' && typeof by === 'string' && !message.includes(` by ${by}`)) {
    message += ` by ${by}${typeof error.details.channel === 'string' ? ` (${error.details.channel})` : ''}`;
  }
  return `${error.status} ${error.code}: ${message}`;
}

const count = (value: number): string => value.toLocaleString('en-US');

/** A principal's standing against its limits (GET /v1/quota), one line a limit. */
export function formatQuota(quota: QuotaResponse): string {
  const { tokens, rounds, pendingApprovals } = quota;
  const used = `${count(tokens.used)} tokens used this ${tokens.period}`;
  return [
    `principal  ${escapeInvisible(quota.principal)}`,
    tokens.limit === null || tokens.remaining === null
      ? `tokens     ${used}, no quota`
      : `tokens     ${count(tokens.remaining)} of ${count(tokens.limit)} left (${used}; resets ${tokens.resetsAt})`,
    `rounds     ${rounds.running} running of ${rounds.limit}`,
    `approvals  ${pendingApprovals.pending} pending of ${pendingApprovals.limit}`,
    ...(quota.limitsEnabled ? [] : ['(limits are off on this API: nothing is refused)']),
  ].join('\n');
}
