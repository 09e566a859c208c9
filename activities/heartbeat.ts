import { Context } from '@temporalio/activity';

const HEARTBEAT_INTERVAL_MS = 3000;

/**
 * Heartbeats while `work` runs, so Temporal notices a lost worker within the heartbeat timeout instead of
 * at the activity's (much longer) start-to-close deadline.
 */
export async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  // A local activity lives inside its workflow task, which the worker heartbeats instead.
  if (context.info.isLocal) return work();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
