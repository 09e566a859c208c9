// Server-Sent Events that carry HTML for htmx's SSE extension: each message is a fragment the page swaps in.
import type { FastifyReply } from 'fastify';
import { formatSseComment, openSseResponse } from '../../runtime/sse.ts';
import type { Html } from './html.ts';

export interface HtmlStream {
  /** A fragment as event `event`; an id lets the browser resume after it (Last-Event-ID). */
  send(event: string, fragment: Html, id?: number): void;
  comment(text: string): void;
  end(): void;
}

/** Takes over the reply: the caller must `end()` it. */
export function openHtmlStream(reply: FastifyReply): HtmlStream {
  reply.hijack();
  const stream = openSseResponse(reply.raw);
  return {
    send(event, fragment, id) {
      const data = fragment.value
        .split('\n')
        .map((line) => `data: ${line}\n`)
        .join('');
      stream.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\n${data}\n`);
    },
    comment(text) {
      stream.write(formatSseComment(text));
    },
    end: () => stream.end(),
  };
}
