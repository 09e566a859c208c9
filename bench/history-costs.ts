// The worker's own cost per workflow task and per activity, read from finished rounds' histories: a round's
// latency mixes the engine's writes and the worker's work, the history's timestamps separate them. A workflow
// task's STARTED → COMPLETED is the worker's activation (with any local activity it holds); an activity's
// STARTED → COMPLETED is the worker running it.
import type { Client } from '@temporalio/client';
import { summarize, type Summary } from './stats.ts';

export interface HistoryCosts {
  /** Histories read. */
  rounds: number;
  /** Every workflow task of those rounds, STARTED → COMPLETED (ms). */
  workflowTask: Summary;
  /** Every remote activity of the named type, STARTED → COMPLETED (ms); n = 0 when the rounds ran none. */
  activity: Summary;
  activityType: string;
  /** Per round: history events and workflow tasks. */
  events: Summary;
  workflowTasks: Summary;
  /**
   * Per round: the worker's time, every workflow task and every activity STARTED → COMPLETED summed. Comparable
   * across shapes: a round whose reads run inside one task has one long task where bare Temporal has four.
   */
  workerMs: Summary;
}

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

const millis = (event: HistoryEvent | undefined): number | undefined => {
  const time = event?.eventTime;
  if (!time) return undefined;
  return Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6;
};

/** STARTED → COMPLETED of each workflow task and of each activity of `activityType` in one history. */
export function costsOf(
  history: History,
  activityType: string,
): { workflowTasks: number[]; activities: number[]; events: number; workerMs: number } {
  const events = history.events ?? [];
  const byId = new Map(events.map((event) => [Number(event.eventId), event]));
  const workflowTasks: number[] = [];
  const activities: number[] = [];
  let workerMs = 0;
  for (const event of events) {
    const task = event.workflowTaskCompletedEventAttributes;
    if (task) {
      const started = millis(byId.get(Number(task.startedEventId)));
      const completed = millis(event);
      if (started !== undefined && completed !== undefined) {
        workflowTasks.push(completed - started);
        workerMs += completed - started;
      }
    }
    const activity = event.activityTaskCompletedEventAttributes;
    if (activity) {
      const scheduled = byId.get(Number(activity.scheduledEventId))?.activityTaskScheduledEventAttributes;
      const started = millis(byId.get(Number(activity.startedEventId)));
      const completed = millis(event);
      if (started !== undefined && completed !== undefined) {
        workerMs += completed - started;
        if (scheduled?.activityType?.name === activityType) activities.push(completed - started);
      }
    }
  }
  return { workflowTasks, activities, events: events.length, workerMs };
}

/** Reads the rounds' histories one by one (after the timed loop, so that reading them times nothing). */
export async function historyCosts(client: Client, workflowIds: string[], activityType: string): Promise<HistoryCosts> {
  const tasks: number[] = [];
  const activities: number[] = [];
  const events: number[] = [];
  const perRound: number[] = [];
  const workerMs: number[] = [];
  for (const workflowId of workflowIds) {
    const costs = costsOf(await client.workflow.getHandle(workflowId).fetchHistory(), activityType);
    tasks.push(...costs.workflowTasks);
    activities.push(...costs.activities);
    events.push(costs.events);
    perRound.push(costs.workflowTasks.length);
    workerMs.push(costs.workerMs);
  }
  return {
    rounds: workflowIds.length,
    workflowTask: summarize(tasks),
    activity: summarize(activities),
    activityType,
    events: summarize(events),
    workflowTasks: summarize(perRound),
    workerMs: summarize(workerMs),
  };
}
