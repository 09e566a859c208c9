// What every command gets: the API client and where to write.
import type { ApiClient } from './api-client.ts';

export interface Session {
  client: ApiClient;
  json: boolean;
  /** The --url to repeat in printed commands, or undefined when the default would reach the same API. */
  commandUrl: string | undefined;
  out(text: string): void;
  /** Like out, without the line end (text as it streams). */
  write(text: string): void;
  err(text: string): void;
  /** Long text for a person: through $PAGER (or `less -R`) when stdout is a terminal, else like out. */
  page(text: string): Promise<void>;
  /** Asks on stderr, reads a line from stdin: true only for y or yes. */
  confirm(question: string): Promise<boolean>;
}

/** declined: the operator said no, or the CLI would not decide what it could not show in full. */
export const EXIT = { ok: 0, roundFailed: 1, usage: 2, http: 3, unreachable: 4, declined: 5 } as const;
