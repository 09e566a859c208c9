// The Bolt app that receives approval clicks: over POST /slack/events on the API server (HTTP mode), or over
// a Socket Mode WebSocket for deployments without a public URL. Both register the same listeners.
import { App } from '@slack/bolt';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { slackClientOptions } from './client-options.ts';
import type { SlackConfig } from '../runtime/config.ts';
import type { ApprovalDesk } from './approval-desk.ts';
import { registerApprovalHandlers } from './approval-handlers.ts';
import { boltLogger } from './bolt-logger.ts';
import { FastifyReceiver } from './fastify-receiver.ts';
import { requireOrigin } from './request-origin.ts';

const MAX_CONNECT_DELAY_MS = 60_000;

export interface SlackIntegration {
  /** HTTP mode: the route for the API server. Absent in Socket Mode. */
  routes?: FastifyPluginAsync;
  /** Socket Mode: connects in the background. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createSlackIntegration(options: {
  slack: SlackConfig;
  desk: ApprovalDesk;
  logger: Logger;
  /** The approval's page in the console, for edits too long for Slack; absent without a console. */
  approvalPage?: (approvalId: string) => string;
  /** The TTL of Approve and remember (approvals.grants); without it the button decides nothing. */
  rememberTtlMs?: number;
}): SlackIntegration {
  const { slack, desk, logger, approvalPage } = options;
  const common = {
    // One workspace, one bot token: no auth.test round trip at start, so a Slack outage cannot fail the API.
    authorize: async () => ({ botToken: slack.botToken }),
    clientOptions: slackClientOptions(slack),
    logger: boltLogger(logger),
    convoStore: false as const,
    ignoreSelf: false,
  };
  // Socket Mode has no request signatures to verify or replay: Slack authenticates the WebSocket by the app token.
  const receiver = slack.socketMode ? undefined : new FastifyReceiver(slack.signingSecret, slack.replayCache);
  const app = receiver
    ? new App({ ...common, receiver })
    : new App({ ...common, socketMode: true, appToken: slack.appToken });
  app.error(async (error) => {
    logger.error({ err: error }, 'Slack listener failed');
  });
  requireOrigin(app, { teamId: slack.teamId, appId: slack.appId }, logger);
  registerApprovalHandlers(app, {
    desk,
    users: slack.users,
    logger,
    approvalPage,
    rememberTtlMs: options.rememberTtlMs,
  });
  if (receiver) return { routes: receiver.routes, start: async () => {}, stop: async () => {} };

  // Slack unreachable at start must not take the HTTP API down with it: connect in the background until it
  // works. Once connected, the Socket Mode client reconnects by itself.
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = (delayMs: number): void => {
    app.start().then(
      () => logger.info('Slack Socket Mode connected'),
      (error: unknown) => {
        if (stopped) return;
        logger.error({ err: error, retryInMs: delayMs }, 'Slack Socket Mode could not connect');
        retry = setTimeout(() => connect(Math.min(delayMs * 2, MAX_CONNECT_DELAY_MS)), delayMs);
      },
    );
  };
  return {
    start: async () => connect(1000),
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      await app.stop();
    },
  };
}
