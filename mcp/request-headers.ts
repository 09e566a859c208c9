import { AsyncLocalStorage } from 'node:async_hooks';

// Headers for the requests of one tool call (the requester's own credential): the pooled connection stays
// shared, so they travel with the call's async context to the pool's fetch instead of onto the connection.
const perCall = new AsyncLocalStorage<Record<string, string>>();

/** Runs `send` so that every MCP request it makes carries `headers` too. */
export function withRequestHeaders<T>(headers: Record<string, string>, send: () => Promise<T>): Promise<T> {
  return perCall.run(headers, send);
}

/** The headers of the call this request belongs to, if any. */
export function requestHeaders(): Record<string, string> | undefined {
  return perCall.getStore();
}
