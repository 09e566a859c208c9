import { Context } from '@temporalio/activity';

const HEARTBEAT_INTERVAL_MS = 3000;

/**
 * Heartbeats while `work` runs, so Temporal notices a lost worker within the heartbeat timeout instead of
 * at the activity's (much longer) start-to-close deadline. Not at once: the server counts the heartbeat timeout
 * from the activity's start, and a first heartbeat at the start was one more fsync'd write of the round's
 * state per call (the worker sends the first one unthrottled), taking the round's lock as the call began.
 */
export async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  // A local activity lives inside its workflow task, which the worker heartbeats instead.
  if (context.info.isLocal) return work();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
