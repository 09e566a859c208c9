// Server-Sent Events that carry HTML for htmx's SSE extension: each message is a fragment the page swaps in.
import type { FastifyReply } from 'fastify';
import { formatSseComment } from '../../runtime/sse.ts';
import type { Html } from './html.ts';

const HEARTBEAT_MS = 15_000;

export interface HtmlStream {
  /** A fragment as event `event`; an id lets the browser resume after it (Last-Event-ID). */
  send(event: string, fragment: Html, id?: number): void;
  comment(text: string): void;
  end(): void;
}

/** Takes over the reply: the caller must `end()` it. */
export function openHtmlStream(reply: FastifyReply): HtmlStream {
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.write(formatSseComment('stream open'));
  const heartbeat = setInterval(() => response.write(formatSseComment('keep-alive')), HEARTBEAT_MS);
  return {
    send(event, fragment, id) {
      const data = fragment.value
        .split('\n')
        .map((line) => `data: ${line}\n`)
        .join('');
      response.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\n${data}\n`);
    },
    comment(text) {
      response.write(formatSseComment(text));
    },
    end() {
      clearInterval(heartbeat);
      response.end();
    },
  };
}
