// A change of the approval gate NOT guarded by patched(): it asks for an activity (a fresh tool listing) before
// each approval opens, so a round that opened its approval under version N cannot replay under it.
import { proxyActivities } from '@temporalio/workflow';
import type { ToolgateActivities } from '../../workflows/contract.ts';
import { passGate as passGateOfVersionN, type GateVerdict } from '../../workflows/approval-gate.ts';

export type { GateVerdict };

const { listTools } = proxyActivities<ToolgateActivities>({ startToCloseTimeout: '1 minute' });

export async function passGate(...args: Parameters<typeof passGateOfVersionN>): Promise<GateVerdict> {
  await listTools({ servers: [] });
  return passGateOfVersionN(...args);
}
