// Patches a round takes without asking. Each patch below predates the fast paths, so a round started since
// always takes its new branch; asking anyway cost every round a marker and a TemporalChangeVersion upsert per
// patch (a gateway read-only call: 12 of 28 history events, 6 visibility writes; the benchmark's 3-step round:
// 12 of 55 events). Since GATEWAY_FAST_PATH_PATCH a gateway round asks that one patch instead, since
// ROUND_FAST_PATH_PATCH every other round asks that one, since LOCAL_READS_PATCH every round asks that one, which
// implies both, and since LOCAL_GRANT_LOOKUP_PATCH every round asks that one, which implies LOCAL_READS_PATCH: one
// marker a round. Rounds started before them ask each patch as they did, so their histories replay. Patches newer
// than them must be asked with patched() itself: isPatched() would take a newer branch without a marker in a
// fast-path round started before that branch existed.
import { patched } from '@temporalio/workflow';

export const GATEWAY_FAST_PATH_PATCH = 'gateway-fast-path';
export const ROUND_FAST_PATH_PATCH = 'round-fast-path';
/**
 * Since this patch, a reply whose every call that runs is a read needing no approval runs them as local activities
 * (a 3-step round of reads: one workflow task instead of four; a call is one marker instead of three activity
 * events). Asked only of such a reply; rounds before it ran every call as an activity. A gateway round asks it
 * first thing instead of `gateway-fast-path`, which it implies (settleRoundPatches): one marker either way.
 */
export const LOCAL_READS_PATCH = 'local-reads';
/**
 * Since this patch, a gated call looks up its requester's grants in a local activity (a read, safe to repeat), not
 * an activity: the approval opens in the task that met the call, one workflow task and three events fewer per
 * approval. Rounds before it looked up in an activity.
 */
export const LOCAL_GRANT_LOOKUP_PATCH = 'local-grant-lookup';

// Workflow modules are evaluated per run (reusable V8 context or not), so these are the round's own.
let takenWithoutAsking = false;
let grantLookupLocal = false;

/**
 * Settles it for the round: first thing of its first task, before any other patch or local activity. A new round
 * marks LOCAL_GRANT_LOOKUP_PATCH only, which implies the others; on replay of a round that marked an older one
 * each newer one answers false without a command, and the older ones are asked in turn.
 */
export function settleRoundPatches(givenCall: boolean): boolean {
  grantLookupLocal = patched(LOCAL_GRANT_LOOKUP_PATCH);
  takenWithoutAsking =
    grantLookupLocal ||
    patched(LOCAL_READS_PATCH) ||
    (givenCall ? patched(GATEWAY_FAST_PATH_PATCH) : patched(ROUND_FAST_PATH_PATCH));
  return takenWithoutAsking;
}

/** LOCAL_GRANT_LOOKUP_PATCH, as settled by the round's first task. */
export function looksUpGrantsLocally(): boolean {
  return grantLookupLocal;
}

/** LOCAL_READS_PATCH: implied by a round that marked LOCAL_GRANT_LOOKUP_PATCH, else asked (a marker at most once). */
export function readsRunLocally(): boolean {
  return grantLookupLocal || patched(LOCAL_READS_PATCH);
}

/** `patched(id)` for a patch older than the fast paths: true without a marker in a fast-path round. */
export function isPatched(id: string): boolean {
  return takenWithoutAsking || patched(id);
}
