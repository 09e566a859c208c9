import { setTimeout as sleep } from 'node:timers/promises';

export const bareActivities = {
  noop: async (): Promise<void> => {},
  /** Stands in for an LLM call of the benchmark's latency. */
  waitMs: async (ms: number): Promise<void> => {
    if (ms > 0) await sleep(ms);
  },
};
export type BareActivities = typeof bareActivities;
