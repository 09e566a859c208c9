// What the Slack notifier needs from the worker's config to offer edit on approve on a card: the tool's
// `editable`, and the console's page of an approval when the API's public address is known.
import { resolveToolPolicy } from '../activities/tool-policy.ts';
import type { ToolgateConfig } from '../runtime/config.ts';
import type { NotifierEditing } from '../slack/notifier.ts';

export function slackEditing(config: ToolgateConfig): NotifierEditing {
  const { publicUrl, ui } = config.api;
  return {
    editable: (serverName, tool) => {
      const server = config.servers.find((entry) => entry.name === serverName);
      // A server no longer configured: the round still holds its tool and decides whether the edit applies.
      return server ? resolveToolPolicy(config, server, tool).editable !== false : true;
    },
    ...(ui.enabled && publicUrl
      ? { approvalPage: (approvalId: string) => `${publicUrl}/ui/approvals/${encodeURIComponent(approvalId)}` }
      : {}),
  };
}
