// Where one decision's time goes, from the round's history (the server's clock, the same machine's as the
// bench's): sent → the workflow task that takes it is scheduled → a worker starts it → it completes (the update
// accepted, the call scheduled) → the `callTool` activity starts → the MCP server receives the call.
import type { temporal } from '@temporalio/proto';
import { summarize, type Summary } from './stats.ts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Timestamp = NonNullable<HistoryEvent['eventTime']>;

/** Stage → milliseconds. */
export type DecisionStages = Record<DecisionStage, number>;

export const DECISION_STAGES = [
  'sent -> task scheduled',
  'task scheduled -> started',
  'task started -> completed',
  'task completed -> callTool started',
  'callTool started -> MCP server',
] as const;
export type DecisionStage = (typeof DECISION_STAGES)[number];

/** The event's time in epoch milliseconds, sub-millisecond (the SDK's own helper floors to whole ms). */
function epochMs(time: Timestamp | null | undefined): number {
  if (!time) return Number.NaN;
  return Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6;
}

/**
 * The stages of the decision that let the round's first `callTool` run; undefined when the history has none
 * (e.g. the round was rejected). `sentAt` and `receivedAt` are epoch milliseconds.
 */
export function decisionStages(
  events: readonly HistoryEvent[],
  sentAt: number,
  receivedAt: number,
): DecisionStages | undefined {
  const byId = new Map(events.map((event) => [Number(event.eventId), event]));
  const scheduled = events.find(
    (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'callTool',
  );
  const completed = byId.get(Number(scheduled?.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId));
  const task = completed?.workflowTaskCompletedEventAttributes;
  const taskScheduled = byId.get(Number(task?.scheduledEventId));
  const taskStarted = byId.get(Number(task?.startedEventId));
  const callStarted = events.find(
    (event) => Number(event.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled?.eventId),
  );
  if (!scheduled || !completed || !taskScheduled || !taskStarted || !callStarted) return undefined;
  const at = (event: HistoryEvent): number => epochMs(event.eventTime);
  return {
    'sent -> task scheduled': at(taskScheduled) - sentAt,
    'task scheduled -> started': at(taskStarted) - at(taskScheduled),
    'task started -> completed': at(completed) - at(taskStarted),
    'task completed -> callTool started': at(callStarted) - at(completed),
    'callTool started -> MCP server': receivedAt - at(callStarted),
  };
}

/** Per stage, a summary over every decision measured. */
export function summarizeStages(samples: readonly DecisionStages[]): Record<DecisionStage, Summary> {
  return Object.fromEntries(
    DECISION_STAGES.map((stage) => [stage, summarize(samples.map((sample) => sample[stage]))]),
  ) as Record<DecisionStage, Summary>;
}
