// The round's signal, update and queries.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DecisionRequest, DecisionResult } from './decisions.ts';
import type { EventPage } from './events.ts';
import type { RoundState } from './round.ts';

export const decideSignal = defineSignal<[DecisionRequest]>('decide');
export const decideUpdate = defineUpdate<DecisionResult, [DecisionRequest]>('decide');
/**
 * A nudge from a worker whose configuration changed: the round re-lists its tools' policies through an activity.
 * Whatever it carries is ignored: anyone with write access to the namespace can send it.
 */
export const policyChangedSignal = defineSignal<unknown[]>('policyChanged');
export const stateQuery = defineQuery<RoundState>('state');
export const eventsQuery = defineQuery<EventPage, [afterId?: number]>('events');
