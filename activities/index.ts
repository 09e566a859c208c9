// The activity factory: the worker calls it with its resources (config, MCP pool, LLM client).
import type { Client } from '@temporalio/client';
import type OpenAI from 'openai';
import type { ApprovalNotifier, ToolgateActivities } from '../workflows/contract.ts';
import type { ToolgateConfig } from '../runtime/config.ts';
import { createCallLlm } from './call-llm.ts';
import { createCallTool } from './call-tool.ts';
import { createListTools } from './list-tools.ts';
import { createCurrentPolicies } from './current-policies.ts';
import { createGrantActivities } from './grants.ts';
import { LiveHub } from './live-hub.ts';
import type { McpConnections } from '../mcp/connections.ts';
import { loadCodecKeys } from '../runtime/payload-codec.ts';
import { loadPublicKeys } from '../runtime/signing.ts';

export interface ActivityResources {
  config: ToolgateConfig;
  connections: McpConnections;
  llm: OpenAI;
  /** Where the LLM call publishes the model's text as it streams; one no server reads by default. */
  live?: LiveHub;
  notifier?: ApprovalNotifier;
  /** Reaches the requesters' grants workflows; without it no grant is found or made. */
  client?: Client;
}

/** Throws (ConfigError) when `signing.publicKeys` is missing: a worker without them would run no round. */
export function createActivities({
  config,
  connections,
  llm,
  live = new LiveHub(),
  notifier,
  client,
}: ActivityResources): ToolgateActivities {
  const keys = loadPublicKeys(config.signing);
  return {
    signingKeys: async () => ({ keys }),
    listTools: createListTools(config, connections, notifier !== undefined),
    currentPolicies: createCurrentPolicies(config, connections),
    notifyApprovalOpened: async ({ approval }) => (notifier ? notifier.opened(approval) : null),
    notifyApprovalClosed: async ({ approval, notification }) => notifier?.closed(approval, notification),
    notifyApprovalStep: async (notice) => notifier?.stepped(notice),
    callLlm: createCallLlm(
      llm,
      {
        model: config.llm.model,
        timeoutMs: config.llm.timeout,
        temperature: config.llm.temperature,
        stream: config.llm.stream,
      },
      live,
    ),
    callTool: createCallTool(
      connections,
      config.round.toolOutputChars,
      config.codec ? loadCodecKeys(config.codec.keys) : [],
    ),
    ...createGrantActivities(config, client),
  };
}
