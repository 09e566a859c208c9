// Patches a gateway round (input `toolCall`) takes without asking. Each patch below predates the MCP gateway, so
// such a round always takes its new branch; asking anyway cost every call a marker and a TemporalChangeVersion
// upsert per patch (12 of a read-only call's 28 history events, 6 visibility writes). Since
// GATEWAY_FAST_PATH_PATCH a gateway round asks that one patch instead; gateway rounds started before it ask
// each patch as they did, so their histories replay. Since LOCAL_READS_PATCH a gateway round asks that one
// instead, which implies the fast path too: still one marker. Patches newer than it are asked with patched().
import { patched } from '@temporalio/workflow';
import { LOCAL_READS_PATCH } from './local-reads.ts';

export const GATEWAY_FAST_PATH_PATCH = 'gateway-fast-path';

// Workflow modules are evaluated per run (reusable V8 context or not), so this is the round's own.
let takenWithoutAsking = false;

/**
 * Settles it for the round: first thing of its first task, before any other patch or local activity. The newest
 * gateway patch is asked first: on replay of a round that marked an older one, it answers false without a command.
 */
export function settleGatewayPatches(givenCall: boolean): boolean {
  takenWithoutAsking = givenCall && (patched(LOCAL_READS_PATCH) || patched(GATEWAY_FAST_PATH_PATCH));
  return takenWithoutAsking;
}

/** `patched(id)` for a patch older than GATEWAY_FAST_PATH_PATCH: true without a marker in a fast-path round. */
export function isPatched(id: string): boolean {
  return takenWithoutAsking || patched(id);
}
