// The MCP gateway's tools/list: the configured servers' tools as the worker lists them for a round (same
// activity, same policy resolution and checks), for an API that holds no MCP connection of its own.
import { proxyLocalActivities, type LocalActivityOptions } from '@temporalio/workflow';
import type { ToolCatalog, ToolgateActivities } from './contract.ts';

const options: LocalActivityOptions = { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } };
const { listTools } = proxyLocalActivities<ToolgateActivities>(options);

export async function gatewayCatalog(input: { servers?: string[] } = {}): Promise<ToolCatalog> {
  const request = input.servers ? { servers: input.servers } : {};
  return listTools.executeWithOptions({ ...options, summary: 'gateway tools/list' }, [request]);
}
