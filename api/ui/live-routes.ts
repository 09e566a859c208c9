// What the console shows live, as HTML over Server-Sent Events (htmx's SSE extension swaps it in): the approvals a
// reader may decide, re-listed every few seconds and sent when they change; and a round's timeline, rendered
// from the round's event stream (streamRoundEvents, scoped for approvers as GET /v1/rounds/{id}/events is).
// Each stream holds one of the principal's event stream slots (`limits.streams`), like the API's own streams.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LiveEvent, RoundEvent } from '../../workflows/contract.ts';
import { RoundIdParams } from '../../runtime/http-api.ts';
import type { ApiContext } from '../api-context.ts';
import { ApproverEvents } from '../approver-scope.ts';
import { streamRoundEvents, type EventSink } from '../event-stream.ts';
import type { ApiMetrics } from '../metrics.ts';
import { listPendingApprovals } from '../pending-approvals.ts';
import { readableRound } from '../round-facts.ts';
import type { StreamSlot, StreamSlots } from '../stream-slots.ts';
import { sendThrottled } from '../throttle.ts';
import { approvalList, LISTED_APPROVALS } from './pages/approvals.ts';
import { eventFragment, liveFragment, noteFragment } from './pages/round.ts';
import { openHtmlStream, type HtmlStream } from './sse-writer.ts';

/** How often an open approvals page re-lists (one visibility call): a new approval shows within this. */
export const APPROVALS_REFRESH_MS = 2000;

const LastEventId = z.coerce.number().int().min(0).catch(0);

export interface LiveRouteOptions {
  context: ApiContext;
  metrics: ApiMetrics;
  slots: StreamSlots | undefined;
  consoleRoute: { config: { console: true }; schema: { hide: true } };
}

export function liveRoutes({ context, metrics, slots, consoleRoute }: LiveRouteOptions): FastifyPluginAsyncZod {
  /** Runs `body` on a stream that holds one of the principal's slots, until it returns or the client leaves. */
  async function stream(
    request: FastifyRequest,
    reply: FastifyReply,
    body: (out: HtmlStream, signal: AbortSignal) => Promise<void>,
  ) {
    const slot: StreamSlot | ReturnType<StreamSlots['acquire']> | undefined = slots?.acquire(request.principal);
    if (slot && !('release' in slot)) return sendThrottled(reply, metrics, request.principal, slot);
    const abort = new AbortController();
    request.raw.on('close', () => abort.abort());
    const out = openHtmlStream(reply);
    metrics.openStreams.inc();
    try {
      await body(out, abort.signal);
    } catch (error) {
      if (!abort.signal.aborted) {
        request.log.warn({ err: error, url: request.url }, 'console stream ended early');
        out.comment('stream interrupted; reconnecting');
      }
    } finally {
      slot?.release();
      metrics.openStreams.dec();
      out.end();
    }
  }

  return async (app) => {
    app.get('/ui/approvals/stream', consoleRoute, async (request, reply) => {
      const session = request.consoleSession!;
      await stream(request, reply, async (out, signal) => {
        let shown: string | undefined;
        // Ends with the session: the browser reconnects and is sent to sign in.
        while (!signal.aborted && Date.now() < session.expiresAt) {
          const { approvals } = await listPendingApprovals(context, session.principal, {
            mine: 'decide',
            pageSize: LISTED_APPROVALS,
          }).catch(() => ({ approvals: undefined }));
          const list = approvals && approvalList(approvals);
          if (list && list.value !== shown) {
            out.send('approvals', list);
            shown = list.value;
          }
          await sleep(APPROVALS_REFRESH_MS, undefined, { signal }).catch(() => undefined);
        }
      });
    });

    app.get(
      '/ui/rounds/:id/stream',
      { ...consoleRoute, schema: { hide: true, params: RoundIdParams } },
      async (request, reply) => {
        // 404 before the stream starts, as GET /v1/rounds/{id}/events answers.
        const round = await readableRound(context, request.principal, request.params.id);
        const approverEvents =
          round.scope === 'approvals' ? new ApproverEvents(context, round.roundId, request.principal) : undefined;
        const afterId = LastEventId.parse(request.headers['last-event-id']);
        await stream(request, reply, async (out, signal) => {
          const sink: EventSink = {
            async event(event: RoundEvent) {
              const shown = approverEvents ? await approverEvents.admit(event) : event;
              if (shown) out.send('event', eventFragment(shown), shown.id);
            },
            comment(text: string) {
              out.comment(text);
              if (text.startsWith('events ')) out.send('event', noteFragment(text));
            },
            // The model's text as it streams, with no id (not replayed on reconnect); never to an approver.
            ...(approverEvents ? {} : { live: (event: LiveEvent) => out.send(event.type, liveFragment(event)) }),
            warn(message: string, error?: unknown) {
              request.log.warn({ err: error, roundId: round.roundId }, message);
            },
          };
          await streamRoundEvents(context, round.roundId, afterId, sink, signal);
          out.send('done', noteFragment('end of the round'));
        });
      },
    );
  };
}
