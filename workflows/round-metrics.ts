// Domain metrics of rounds, emitted from workflow code through the worker's metric meter: Temporal skips them
// on replay, so each counts once per real event. Labels are bounded: configured servers and tools, statuses,
// channels; never round ids, principals or arguments.
import { metricMeter, workflowInfo } from '@temporalio/workflow';
import type { ApprovalRecord, RoundStatus, ToolCallRecord } from './contract.ts';

const rounds = metricMeter.createCounter('toolgate_rounds', '1', 'Rounds by final status');
const roundSeconds = metricMeter.createHistogram(
  'toolgate_round_duration_seconds',
  'float',
  's',
  'From start to final status, waits for approvals included',
);
const toolCalls = metricMeter.createCounter('toolgate_tool_calls', '1', 'Tool calls by server, tool and outcome');
const toolAttempts = metricMeter.createHistogram(
  'toolgate_tool_call_attempts',
  'int',
  '1',
  'Attempts a tool call took (0: never sent)',
);
const decisionSeconds = metricMeter.createHistogram(
  'toolgate_approval_decision_seconds',
  'float',
  's',
  'From an approval opening to its decision, by channel and outcome',
);
const approvalsClosed = metricMeter.createCounter(
  'toolgate_approvals_closed',
  '1',
  'Approvals by how they closed (approved, rejected, expired, cancelled), server and tool',
);

export function roundFinished(status: RoundStatus): void {
  rounds.add(1, { status });
  roundSeconds.record((Date.now() - workflowInfo().startTime.getTime()) / 1000, { status });
}

/** Calls the model made up (no such tool) count under `(unknown)`: their names are not a bounded label. */
export function toolCallSettled(record: ToolCallRecord): void {
  const labels = { server: record.server ?? '(unknown)', tool: record.tool ?? '(unknown)' };
  toolCalls.add(1, { ...labels, outcome: record.outcome });
  toolAttempts.record(record.attempts, labels);
}

export function approvalClosed(record: ApprovalRecord): void {
  const labels = { server: record.server, tool: record.tool };
  approvalsClosed.add(1, { ...labels, status: record.status });
  if (record.decision) {
    const seconds = (Date.parse(record.decision.decidedAt) - Date.parse(record.openedAt)) / 1000;
    decisionSeconds.record(Math.max(0, seconds), { channel: record.decision.approver.channel, outcome: record.status });
  }
}

const previews = metricMeter.createCounter(
  'toolgate_approval_previews',
  '1',
  'Previews run before an approval opened, by server, gated tool and status (ok, failed)',
);

export function approvalPreviewed(server: string, tool: string, status: 'ok' | 'failed'): void {
  previews.add(1, { server, tool, status });
}
