// What a round's history is made of: the counts the local-reads tests and notes compare.
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export interface HistoryShape {
  events: number;
  workflowTasks: number;
  /** Activity types of ActivityTaskScheduled events, in order. */
  activities: string[];
  /** Activity types of local activity markers, in order. */
  localActivities: string[];
  /** Patch ids of patch markers, in order. */
  patches: string[];
}

function markerPayload(event: HistoryEvent, field: string): Payload | undefined {
  return event.markerRecordedEventAttributes?.details?.[field]?.payloads?.[0];
}

export function historyShape(events: readonly HistoryEvent[]): HistoryShape {
  const shape: HistoryShape = {
    events: events.length,
    workflowTasks: 0,
    activities: [],
    localActivities: [],
    patches: [],
  };
  for (const event of events) {
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) shape.workflowTasks++;
    const scheduled = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) shape.activities.push(scheduled);
    const local = markerPayload(event, 'data');
    if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity' && local)
      shape.localActivities.push(defaultPayloadConverter.fromPayload<{ activity_type: string }>(local).activity_type);
    const patch = markerPayload(event, 'patch-data');
    if (patch) shape.patches.push(defaultPayloadConverter.fromPayload<{ id: string }>(patch).id);
  }
  return shape;
}
