// Bolt's receiver for HTTP mode: POST /slack/events on the API's own Fastify server. The signature is checked
// against the raw body before anything is parsed, a verified signature is accepted once, and a request that
// fails either check never reaches a listener.
import { verifySlackRequest, type App, type Receiver } from '@slack/bolt';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { errorBody } from '../runtime/api-error.ts';
import { ReplayGuard } from './replay-guard.ts';

export const SLACK_EVENTS_PATH = '/slack/events';
const MAX_AGE_SECONDS = 5 * 60;
const NOT_ACKNOWLEDGED = Symbol('not acknowledged');

function header(request: FastifyRequest, name: string): string {
  const value = request.headers[name];
  return typeof value === 'string' ? value : '';
}

/** Interactivity arrives as a form with a JSON `payload`; the Events API sends JSON. */
function parseBody(raw: string, contentType: string): Record<string, unknown> | undefined {
  try {
    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(raw);
      const payload = form.get('payload');
      return payload === null ? Object.fromEntries(form) : (JSON.parse(payload) as Record<string, unknown>);
    }
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export class FastifyReceiver implements Receiver {
  private app: App | undefined;
  private readonly signingSecret: string;
  private readonly replays: ReplayGuard;

  /** `replayCache`: signatures remembered for the window; beyond it, requests are refused until some expire. */
  constructor(signingSecret: string, replayCache: number) {
    this.signingSecret = signingSecret;
    this.replays = new ReplayGuard(MAX_AGE_SECONDS, replayCache);
  }

  init(app: App): void {
    this.app = app;
  }

  /** The Fastify server's lifecycle is the receiver's: nothing to start or stop here. */
  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** Encapsulated, so its raw-string body parsing applies to this route alone. */
  readonly routes: FastifyPluginAsync = async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post(SLACK_EVENTS_PATH, { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
      const raw = typeof request.body === 'string' ? request.body : '';
      const timestamp = Number(header(request, 'x-slack-request-timestamp'));
      if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > MAX_AGE_SECONDS) {
        return reply
          .code(401)
          .send(errorBody('stale_request', 'The Slack request timestamp is missing or more than 5 minutes off'));
      }
      try {
        verifySlackRequest({
          signingSecret: this.signingSecret,
          body: raw,
          headers: {
            'x-slack-signature': header(request, 'x-slack-signature'),
            'x-slack-request-timestamp': timestamp,
          },
        });
      } catch {
        return reply.code(401).send(errorBody('invalid_signature', 'The Slack request signature does not match'));
      }
      // Only a verified signature is remembered, so a forged request cannot block the genuine one. The key is the
      // hash Bolt compared, not the header: `v0=<hash>=anything` verifies too.
      const verdict = this.replays.admit(header(request, 'x-slack-signature').split('=')[1]!, timestamp);
      if (verdict === 'replayed') {
        request.log.warn({ slackTimestamp: timestamp }, 'Slack request refused: its signature was already accepted');
        return reply.code(401).send(errorBody('replayed_request', 'This signed Slack request was already accepted'));
      }
      if (verdict === 'full') {
        request.log.error(
          { slackTimestamp: timestamp },
          'Slack request refused: slack.replayCache signatures are already remembered for the replay window',
        );
        return reply
          .code(503)
          .send(errorBody('replay_cache_full', 'Too many Slack requests within 5 minutes; try again shortly'));
      }
      const body = parseBody(raw, header(request, 'content-type'));
      if (!body) return reply.code(400).send(errorBody('invalid_request', 'The Slack request body cannot be parsed'));
      const answer = await this.dispatch(body, request);
      if (answer === NOT_ACKNOWLEDGED)
        return reply.code(404).send(errorBody('unhandled', 'No listener acknowledged this Slack request'));
      return reply.code(200).send(answer ?? '');
    });
  };

  /** Resolves with the listener's ack (the HTTP answer); the listener may go on working after it. */
  private dispatch(body: Record<string, unknown>, request: FastifyRequest): Promise<unknown> {
    const app = this.app;
    if (!app) throw new Error('FastifyReceiver is not attached to a Bolt app');
    return new Promise((resolve) => {
      let acknowledged = false;
      const ack = async (response?: unknown) => {
        if (acknowledged) throw new Error('ack() was called twice');
        acknowledged = true;
        resolve(response);
      };
      app.processEvent({ body, ack }).then(
        () => resolve(NOT_ACKNOWLEDGED),
        (error: unknown) => {
          request.log.error({ err: error }, 'Slack event processing failed');
          resolve(NOT_ACKNOWLEDGED);
        },
      );
    });
  }
}
