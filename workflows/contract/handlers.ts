// The round's signal, update and queries.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DecisionRequest, DecisionResult } from './decisions.ts';
import type { EventPage } from './events.ts';
import type { RoundState } from './round.ts';

export const decideSignal = defineSignal<[DecisionRequest]>('decide');
export const decideUpdate = defineUpdate<DecisionResult, [DecisionRequest]>('decide');
export const stateQuery = defineQuery<RoundState>('state');
export const eventsQuery = defineQuery<EventPage, [afterId?: number]>('events');
