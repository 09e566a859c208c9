// Patches a round takes without asking. Each patch below predates the fast paths, so a round started since
// always takes its new branch; asking anyway cost every round a marker and a TemporalChangeVersion upsert per
// patch (a gateway read-only call: 12 of 28 history events, 6 visibility writes; the benchmark's 3-step round:
// 12 of 55 events). Since GATEWAY_FAST_PATH_PATCH a gateway round asks that one patch instead, since
// ROUND_FAST_PATH_PATCH every other round asks that one, and since LOCAL_READS_PATCH every round asks that one,
// which implies both: one marker a round. Rounds started before them ask each patch as they did, so their
// histories replay. Patches newer than them must be asked with patched() itself: isPatched()
// would take a newer branch without a marker in a fast-path round started before that branch existed.
import { patched } from '@temporalio/workflow';
import { LOCAL_READS_PATCH } from './local-reads.ts';

export const GATEWAY_FAST_PATH_PATCH = 'gateway-fast-path';
export const ROUND_FAST_PATH_PATCH = 'round-fast-path';

// Workflow modules are evaluated per run (reusable V8 context or not), so this is the round's own.
let takenWithoutAsking = false;

/**
 * Settles it for the round: first thing of its first task, before any other patch or local activity. A new round
 * marks LOCAL_READS_PATCH only, which implies both fast paths; on replay of a round that marked an older fast path
 * it answers false without a command, and the round's own fast path (gateway or not) is asked.
 */
export function settleRoundPatches(givenCall: boolean): boolean {
  takenWithoutAsking =
    patched(LOCAL_READS_PATCH) || (givenCall ? patched(GATEWAY_FAST_PATH_PATCH) : patched(ROUND_FAST_PATH_PATCH));
  return takenWithoutAsking;
}

/** `patched(id)` for a patch older than the fast paths: true without a marker in a fast-path round. */
export function isPatched(id: string): boolean {
  return takenWithoutAsking || patched(id);
}
