// Patches a round takes without asking. Each patch below predates the fast paths, so a round started since
// always takes its new branch; asking anyway cost every round a marker and a TemporalChangeVersion upsert per
// patch (a gateway read-only call: 12 of 28 history events, 6 visibility writes; the benchmark's 3-step round:
// 12 of 55 events). Since GATEWAY_FAST_PATH_PATCH a gateway round asks that one patch instead (since
// LOCAL_READS_PATCH that one, which implies the fast path too: still one marker), and since
// ROUND_FAST_PATH_PATCH every other round asks that one; rounds started before them ask each patch as they
// did, so their histories replay. Patches newer than them must be asked with patched() itself: isPatched()
// would take a newer branch without a marker in a fast-path round started before that branch existed.
import { patched } from '@temporalio/workflow';
import { LOCAL_READS_PATCH } from './local-reads.ts';

export const GATEWAY_FAST_PATH_PATCH = 'gateway-fast-path';
export const ROUND_FAST_PATH_PATCH = 'round-fast-path';

// Workflow modules are evaluated per run (reusable V8 context or not), so this is the round's own.
let takenWithoutAsking = false;

/**
 * Settles it for the round: first thing of its first task, before any other patch or local activity. A gateway
 * round (`givenCall`) asks the newest gateway patch first (on replay of a round that marked an older one, it
 * answers false without a command), any other round the round's: one marker each way.
 */
export function settleRoundPatches(givenCall: boolean): boolean {
  takenWithoutAsking = givenCall
    ? patched(LOCAL_READS_PATCH) || patched(GATEWAY_FAST_PATH_PATCH)
    : patched(ROUND_FAST_PATH_PATCH);
  return takenWithoutAsking;
}

/** `patched(id)` for a patch older than the fast paths: true without a marker in a fast-path round. */
export function isPatched(id: string): boolean {
  return takenWithoutAsking || patched(id);
}
