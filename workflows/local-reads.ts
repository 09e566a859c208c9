// Which replies run their tool calls as local activities: inside the workflow task that got the model's reply, on
// the same worker, with no dispatch through the server. Only reads qualify: a lost worker makes the next one run
// the call again (no attempt is on record), which is harmless only for a call that changes nothing.
import { patched } from '@temporalio/workflow';
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
 * All or nothing per reply: a workflow task holding a local activity sends none of its commands until the activity
 * ends, so a sibling's approval would open, or a sibling write start, only after the reads. `running`: the calls of
 * the reply that will be run (not answered as unresolvable or beyond the per-reply bound).
 */
export function runsReadsLocally(running: readonly ResolvedCall[]): boolean {
  return running.some((call) => call.ok) && running.every((call) => !call.ok || isUngatedRead(call));
}

/** The reply's decision, asking the patch only of a reply that would take it. */
export function readsLocally(running: readonly ResolvedCall[]): boolean {
  return runsReadsLocally(running) && patched(LOCAL_READS_PATCH);
}
