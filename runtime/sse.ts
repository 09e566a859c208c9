// Server-Sent Events, both ways: the API writes them, the CLI and the tests read them.
import type { ServerResponse } from 'node:http';

const HEARTBEAT_MS = 15_000;

/** One message: the fields of a block up to a blank line. Comments (`: keep-alive`) come as messages too. */
export interface SseMessage {
  id?: string;
  event?: string;
  /** undefined for a block of comments only. */
  data?: string;
  comments: string[];
}

export function formatSseEvent(id: number, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function formatSseComment(text: string): string {
  return `: ${text}\n\n`;
}

/** An event stream taken over on a raw response: write messages, then end it once. */
export interface SseResponse {
  write(text: string): void;
  end(): void;
}

/**
 * Starts an event stream: headers that keep caches and proxies from holding it back, an opening comment so the
 * client sees it is open, and a comment every 15 s so idle connections are not cut.
 */
export function openSseResponse(response: ServerResponse): SseResponse {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.write(formatSseComment('stream open'));
  const heartbeat = setInterval(() => response.write(formatSseComment('keep-alive')), HEARTBEAT_MS);
  return {
    write: (text) => void response.write(text),
    end() {
      clearInterval(heartbeat);
      response.end();
    },
  };
}

function parseBlock(block: string): SseMessage {
  const message: SseMessage = { comments: [] };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      message.comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') message.id = value;
    else if (field === 'event') message.event = value;
    else if (field === 'data') message.data = message.data === undefined ? value : `${message.data}\n${value}`;
  }
  return message;
}

/** The messages of an event stream's body, as they arrive. */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      if (block.trim() !== '') yield parseBlock(block);
    }
  }
}
