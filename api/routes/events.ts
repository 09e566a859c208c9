import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { LiveEvent, RoundEvent } from '../../workflows/contract.ts';
import type { ApiContext } from '../api-context.ts';
import { formatSseComment, formatSseEvent, openSseResponse } from '../../runtime/sse.ts';
import { ApproverEvents } from '../approver-scope.ts';
import { streamRoundEvents, type EventSink } from '../event-stream.ts';
import type { ApiMetrics } from '../metrics.ts';
import { readableRound } from '../round-facts.ts';
import type { StreamSlots } from '../stream-slots.ts';
import { sendThrottled } from '../throttle.ts';
import { ErrorResponse, EventStreamResponse, EventsQuery, RoundIdParams } from '../../runtime/http-api.ts';

/** Without an id: Last-Event-ID names durable events only, and live ones are not replayed. */
function formatLiveEvent(event: LiveEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

function lastEventId(header: string | string[] | undefined, fallback: number | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  const parsed = value === undefined ? Number.NaN : Number(value);
  return Number.isInteger(parsed) && parsed >= 0 ? parsed : (fallback ?? 0);
}

/** `slots` bounds open streams (absent: limits are off). */
export function eventRoutes(context: ApiContext, metrics: ApiMetrics, slots?: StreamSlots): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/rounds/:id/events',
      {
        schema: {
          summary: 'Server-Sent Events of a round; resume with the Last-Event-ID header (or ?lastEventId=)',
          tags: ['rounds'],
          params: RoundIdParams,
          querystring: EventsQuery,
          response: { 200: EventStreamResponse, 404: ErrorResponse },
        },
      },
      async (request, reply) => {
        // Fails with 404 before the stream starts, rather than as an event, and needs no worker to do so.
        const round = await readableRound(context, request.principal, request.params.id);
        const approverEvents =
          round.scope === 'approvals' ? new ApproverEvents(context, round.roundId, request.principal) : undefined;
        const afterId = lastEventId(request.headers['last-event-id'], request.query.lastEventId);
        // Refused as a plain 429 before a byte of the stream is written; a stream the client may not read is 404 above.
        const slot = slots?.acquire(request.principal);
        if (slot && !('release' in slot)) return sendThrottled(reply, metrics, request.principal, slot);
        const abort = new AbortController();
        request.raw.on('close', () => abort.abort());
        reply.hijack();
        const response = openSseResponse(reply.raw);
        metrics.openStreams.inc();
        const sink: EventSink = {
          async event(event: RoundEvent) {
            const shown = approverEvents ? await approverEvents.admit(event) : event;
            if (shown) response.write(formatSseEvent(shown.id, shown.type, shown));
          },
          comment(text: string) {
            response.write(formatSseComment(text));
          },
          // An approver who only decides sees no output of the round, its model's text included; a closed round
          // streams no more text.
          ...(approverEvents || round.executionStatus !== 'running'
            ? {}
            : { live: (event: LiveEvent) => void response.write(formatLiveEvent(event)) }),
          warn(message: string, error?: unknown) {
            request.log.warn({ err: error, roundId: request.params.id }, message);
          },
        };
        try {
          await streamRoundEvents(context, request.params.id, afterId, sink, abort.signal);
        } catch (error) {
          if (!abort.signal.aborted) {
            request.log.warn({ err: error, roundId: request.params.id }, 'event stream ended early');
            sink.comment('stream interrupted; reconnect with Last-Event-ID to resume');
          }
        } finally {
          slot?.release();
          metrics.openStreams.dec();
          response.end();
        }
      },
    );
  };
}
