// Approval cards in Slack: posted when an approval opens, updated when it closes. Failures throw, so
// Temporal's activity retry policy posts the card once Slack is back.
import { WebClient } from '@slack/web-api';
import { webUiLink, type LinkBases } from '../runtime/links.ts';
import type { ApprovalNotifier, ApprovalRecord, NotificationRef } from '../workflows/contract.ts';
import type { SlackConfig } from '../runtime/config.ts';
import { approvalCard } from './card.ts';
import { slackClientOptions } from './client-options.ts';
import { stepText } from './reminder-posts.ts';

/** The most specific of `<server>/<tool>`, `<server>`, the default channel; undefined when none is configured. */
export function channelFor(
  slack: Pick<SlackConfig, 'channel' | 'channels'>,
  server: string,
  tool: string,
): string | undefined {
  return slack.channels[`${server}/${tool}`] ?? slack.channels[server] ?? slack.channel;
}

/** What the worker knows for a card's Edit and approve: the tool's `editable`, and the console's approval page. */
export interface NotifierEditing {
  editable?: (server: string, tool: string) => boolean;
  approvalPage?: (approvalId: string) => string;
}

export function createSlackNotifier(
  slack: SlackConfig,
  bases: Pick<LinkBases, 'webUiUrl' | 'namespace'>,
  editing: NotifierEditing = {},
  /** The TTL of the card's Approve and remember button (approvals.grants). */
  rememberTtlMs?: number,
): ApprovalNotifier {
  const client = new WebClient(slack.botToken, slackClientOptions(slack));
  const card = (approval: ApprovalRecord) =>
    approvalCard(approval, webUiLink(bases, approval.roundId), {
      ...(editing.editable ? { editable: editing.editable(approval.server, approval.tool) } : {}),
      ...(editing.approvalPage ? { approvalPage: editing.approvalPage(approval.approvalId) } : {}),
      ...(rememberTtlMs === undefined ? {} : { rememberTtlMs }),
    });
  return {
    async opened(approval): Promise<NotificationRef | null> {
      const channel = channelFor(slack, approval.server, approval.tool);
      if (!channel) return null;
      const posted = await client.chat.postMessage({ channel, ...card(approval), unfurl_links: false });
      if (!posted.channel || !posted.ts) throw new Error('chat.postMessage answered without channel and ts');
      return { channel: posted.channel, ts: posted.ts };
    },
    async closed(approval, notification): Promise<void> {
      await client.chat.update({ channel: notification.channel, ts: notification.ts, ...card(approval) });
    },
    async stepped({ approval, step, notification, slackChannel }): Promise<void> {
      const text = stepText(approval, step, slack.users);
      const home = notification?.channel ?? channelFor(slack, approval.server, approval.tool);
      const target = step.kind === 'escalation' ? (slackChannel ?? home) : home;
      if (!target) return;
      // In the card's channel, a reply in its thread (broadcast for an escalation); elsewhere, a post of its own.
      if (notification && target === notification.channel) {
        await client.chat.postMessage({
          channel: target,
          text,
          unfurl_links: false,
          thread_ts: notification.ts,
          reply_broadcast: step.kind === 'escalation',
        });
      } else {
        await client.chat.postMessage({ channel: target, text, unfurl_links: false });
      }
      if (notification)
        await client.chat.update({ channel: notification.channel, ts: notification.ts, ...card(approval) });
    },
  };
}
