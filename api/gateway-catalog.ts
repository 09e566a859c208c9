// The tools the MCP gateway offers: the worker lists them (workflow `gatewayCatalog`, the same listing a round
// makes), each replica keeps the answer a few seconds so a burst of tools/list costs one workflow.
import { randomUUID } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { GATEWAY_CATALOG_WORKFLOW_TYPE } from '../workflows/contract/names.ts';
import type { ToolCatalog } from '../workflows/contract.ts';
import { qualifiedToolName } from '../workflows/shared/tool-name.ts';
import type { ApiContext } from './api-context.ts';
import { mayEverRun } from './gateway-visibility.ts';

const CACHE_MS = 5000;
const LISTING_TIMEOUT = '2 minutes';

export class GatewayCatalog {
  private cached: { at: number; catalog: Promise<ToolCatalog> } | undefined;
  private readonly context: Pick<ApiContext, 'client' | 'taskQueue'>;
  private readonly cacheMs: number;

  constructor(context: Pick<ApiContext, 'client' | 'taskQueue'>, cacheMs = CACHE_MS) {
    this.context = context;
    this.cacheMs = cacheMs;
  }

  /**
   * The upstream tools, named `server__tool`, with their description, input schema and annotations; with a
   * caller, only those the caller can ever get run.
   */
  async tools(caller?: string): Promise<Tool[]> {
    const catalog = await this.catalog();
    const offered = caller === undefined ? catalog.tools : catalog.tools.filter((tool) => mayEverRun(tool, caller));
    return offered.map((tool) => ({
      name: qualifiedToolName(tool.server, tool.name),
      ...(tool.description === undefined ? {} : { description: tool.description }),
      inputSchema: tool.inputSchema as Tool['inputSchema'],
      annotations: tool.annotations,
    }));
  }

  /** The server offering the tool named `name` (`server__tool`), or undefined when none does. */
  async serverOf(name: string): Promise<string | undefined> {
    const catalog = await this.catalog();
    return catalog.tools.find((tool) => qualifiedToolName(tool.server, tool.name) === name)?.server;
  }

  /** The tool named `name` is listed, but not for `caller`: a call of it answers as for an unknown tool. */
  async hiddenFrom(name: string, caller: string): Promise<boolean> {
    const catalog = await this.catalog();
    const tool = catalog.tools.find((candidate) => qualifiedToolName(candidate.server, candidate.name) === name);
    return tool !== undefined && !mayEverRun(tool, caller);
  }

  private catalog(): Promise<ToolCatalog> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.catalog;
    const catalog = this.context.client.workflow.execute(GATEWAY_CATALOG_WORKFLOW_TYPE, {
      taskQueue: this.context.taskQueue,
      workflowId: `gateway-catalog-${randomUUID()}`,
      args: [{}],
      workflowExecutionTimeout: LISTING_TIMEOUT,
      staticSummary: 'MCP gateway tools/list',
    }) as Promise<ToolCatalog>;
    this.cached = { at: now, catalog };
    // A failed listing is not kept: the next tools/list asks again.
    catalog.catch(() => {
      if (this.cached?.catalog === catalog) this.cached = undefined;
    });
    return catalog;
  }
}
