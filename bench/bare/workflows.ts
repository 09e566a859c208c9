// Bare Temporal of the benchmark's round shape: the same activities in the same order and parallelism as a
// toolgate round (tool listing and LLM calls local, tool calls remote), doing nothing. It measures the
// engine's floor, so the report can show toolgate's own overhead above it.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { BareActivities } from './activities.ts';

const remote = proxyActivities<BareActivities>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<BareActivities>({ startToCloseTimeout: '1 minute' });

export interface BareShape {
  /** Tool calls of each step before the final answer, e.g. [2, 2, 2]. */
  toolSteps: number[];
  llmDelayMs: number;
}

export async function bareRound(shape: BareShape): Promise<number> {
  await local.noop();
  let calls = 0;
  for (const count of shape.toolSteps) {
    await local.waitMs(shape.llmDelayMs);
    await Promise.all(Array.from({ length: count }, () => remote.noop()));
    calls += count;
  }
  await local.waitMs(shape.llmDelayMs);
  return calls;
}
