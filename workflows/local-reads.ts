// Which replies run their tool calls as local activities: inside the workflow task that got the model's reply, on
// the same worker, with no dispatch through the server. Only reads qualify: a lost worker makes the next one run
// the call again (no attempt is on record), which is harmless only for a call that changes nothing.
import { patched, sleep } from '@temporalio/workflow';
import { requiresApproval } from './policy.ts';
import { trustedHint } from './shared/read-only-waiver.ts';
import type { ResolvedCall } from './tool-names.ts';

/**
 * Since this patch, a reply whose every call that runs is a read needing no approval runs them as local activities
 * (a 3-step round of reads: one workflow task instead of four; a call is one marker instead of three activity
 * events). Asked only of such a reply; rounds before it ran every call as an activity. A gateway round asks it
 * first thing instead of `gateway-fast-path`, which it implies (round-patches.ts): one marker either way.
 */
export const LOCAL_READS_PATCH = 'local-reads';

/**
 * A read the round may run without asking anyone: `readOnlyHint` from a trusted server (the round's own notion of
 * read-only, the one that makes a call retry-safe and may waive its approval) and no approval under the current
 * policy evaluation.
 */
export function isUngatedRead(call: ResolvedCall): boolean {
  return call.ok && trustedHint(call.tool, 'readOnlyHint') && !requiresApproval(call.tool, call.args, true);
}

/**
 * What one workflow task may gather in local activity results (reads and model replies) before the round ends the
 * task: all of it travels in the task's one completion request, which the server refuses above 4 MB (a character
 * takes up to 3 bytes in UTF-8). Activities deliver each result in a request of its own.
 */
export const TASK_RESULT_CHARS = 1_000_000;
const DEFAULT_OUTPUT_CHARS = 16_000;

// Workflow modules are evaluated per run, so these are the round's own.
let outputChars = DEFAULT_OUTPUT_CHARS;
/** Characters of local results gathered since the round last ended a workflow task itself (an upper bound). */
let gathered = 0;

/** The worker's bound of a tool result, from the round's catalog. */
export function boundResults(catalogOutputChars: number | undefined): void {
  outputChars = catalogOutputChars ?? DEFAULT_OUTPUT_CHARS;
}

/** Counts a local result (a model reply, a read's text) toward the current workflow task's completion. */
export function gatheredLocally(chars: number): void {
  gathered += chars;
}

/** The most a reply's reads can add, each result at the worker's bound. */
const mostOf = (running: readonly ResolvedCall[]): number => running.filter((call) => call.ok).length * outputChars;

/**
 * Before a reply's local reads: ends the workflow task (a 1 ms timer) when what it gathered and what the reads can
 * add would pass {@link TASK_RESULT_CHARS}.
 */
export async function makeRoomFor(running: readonly ResolvedCall[]): Promise<void> {
  const most = mostOf(running);
  if (gathered + most <= TASK_RESULT_CHARS) {
    gathered += most;
    return;
  }
  await sleep(1, { summary: 'end the workflow task: its local results are near the size limit' });
  gathered = most;
}

/**
 * All or nothing per reply: a workflow task holding a local activity sends none of its commands until the activity
 * ends, so a sibling's approval would open, or a sibling write start, only after the reads. `running`: the calls of
 * the reply that will be run (not answered as unresolvable or beyond the per-reply bound).
 */
export function runsReadsLocally(running: readonly ResolvedCall[]): boolean {
  return (
    running.some((call) => call.ok) &&
    running.every((call) => !call.ok || isUngatedRead(call)) &&
    mostOf(running) <= TASK_RESULT_CHARS
  );
}

/** The reply's decision (the patch is settled by the round's first task: round-patches.ts). */
export function readsLocally(running: readonly ResolvedCall[]): boolean {
  return runsReadsLocally(running) && patched(LOCAL_READS_PATCH);
}
