import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Headers for the MCP requests of one tool call (the requester's own credential), set by the callTool
 * activity around its request and added by the pool's fetch: the pooled connection stays shared.
 */
export const callHeaders = new AsyncLocalStorage<Record<string, string>>();
