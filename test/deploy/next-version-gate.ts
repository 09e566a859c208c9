// Version N+1 of the approval gate for the deploy test: a real change of workflow code (an added pause after
// each approval closes, a new timer command), guarded by patched() so that rounds recorded by version N replay.
import { patched, sleep } from '@temporalio/workflow';
import { passGate as passGateOfVersionN, type GateVerdict } from '../../workflows/approval-gate.ts';

export type { GateVerdict };

export async function passGate(...args: Parameters<typeof passGateOfVersionN>): Promise<GateVerdict> {
  const verdict = await passGateOfVersionN(...args);
  if (patched('approval-audit-pause')) await sleep(10, { summary: 'audit pause after the approval closed' });
  return verdict;
}
