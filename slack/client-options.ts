import { LogLevel, type WebClientOptions } from '@slack/web-api';
import type { SlackConfig } from '../runtime/config.ts';

/**
 * Slack Web API client settings for the worker's notifier and the API's Bolt app. The client never retries:
 * Temporal's activity retry policy is the one that does, and a click's trigger_id is dead in 3 seconds anyway.
 */
export function slackClientOptions(slack: Pick<SlackConfig, 'apiUrl'>): WebClientOptions {
  return {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logLevel: LogLevel.ERROR,
  };
}
