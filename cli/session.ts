// What every command gets: the API client and where to write.
import type { ApiClient } from './api-client.ts';

export interface Session {
  client: ApiClient;
  json: boolean;
  /** The --url to repeat in printed commands, or undefined when the default would reach the same API. */
  commandUrl: string | undefined;
  out(text: string): void;
  err(text: string): void;
}

export const EXIT = { ok: 0, roundFailed: 1, usage: 2, http: 3, unreachable: 4 } as const;
