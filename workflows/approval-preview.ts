// The preview of a gated call (policy `preview`): a read-only tool of the same server, run through the tool-call
// activity before the approval opens, so the approver sees what the call would change. It only reads, so it is
// tried again on any failure; whatever becomes of it, the approval opens: a failed preview is shown as failed.
import { ActivityFailure, isCancellation, log, proxyActivities } from '@temporalio/workflow';
import type { ApprovalPreview, PreviewStatus, ToolPolicy, ToolgateActivities } from './contract.ts';
import type { CallSite } from './call-site.ts';
import { previewArguments } from './preview-arguments.ts';
import { previewDigest } from './shared/preview-text.ts';
import { displayTool } from './shared/display-name.ts';
import { credentialFor } from './user-credential.ts';
import { escapeInvisible } from './shared/visible-text.ts';
import { approvalPreviewed } from './round-metrics.ts';

/**
 * Since this patch, a tool whose policy names a preview runs it before its approval opens and binds it into the
 * approval (`preview`, `previewDigest`). Asked only when the policy has one, so other rounds replay as before.
 */
export const PREVIEWS_PATCH = 'approval-previews';

const PREVIEW_ATTEMPTS = 3;
const ACTIVITY_MARGIN_MS = 5_000;
const HEARTBEAT_TIMEOUT_MS = 15_000;

type PreviewOutcome = { status: PreviewStatus; content: string; truncated: boolean };

function failed(content: string): PreviewOutcome {
  return { status: 'failed', content, truncated: false };
}

/** The failure's own words (the MCP error, the timeout), not the activity wrapper's. */
function errorText(error: unknown): string {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

async function callPreview(site: CallSite, preview: NonNullable<ToolPolicy['preview']>): Promise<PreviewOutcome> {
  if (preview.unavailable) return failed(`The preview was not run: ${preview.unavailable}.`);
  const { round, tool, args, call } = site;
  // The same server and the same requester: the preview reads with the credential the call would use.
  const credential = credentialFor(round.input.credentials, tool, Date.now());
  if (!credential.ok) return failed(`The preview was not run: ${credential.content}`);
  const options = {
    startToCloseTimeout: preview.timeoutMs + ACTIVITY_MARGIN_MS,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    retry: { maximumAttempts: PREVIEW_ATTEMPTS, initialInterval: 500 },
  };
  const { callTool } = proxyActivities<ToolgateActivities>(options);
  try {
    const result = await callTool.executeWithOptions(
      { ...options, summary: `step ${round.step}: preview ${displayTool(tool.server, preview.tool)}` },
      [
        {
          server: tool.server,
          tool: preview.tool,
          arguments: previewArguments(args, preview.arguments),
          roundId: round.roundId,
          toolCallId: `${call.id}:preview`,
          timeoutMs: preview.timeoutMs,
          ...(credential.credential ? { credential: credential.credential } : {}),
        },
      ],
    );
    return { status: result.isError ? 'failed' : 'ok', content: result.text, truncated: result.truncated };
  } catch (error) {
    if (isCancellation(error)) throw error;
    return failed(`The preview failed: ${errorText(error)}`);
  }
}

/** Runs the preview and returns it as the approval carries it, with its digest. */
export async function runPreview(
  site: CallSite,
  preview: NonNullable<ToolPolicy['preview']>,
): Promise<ApprovalPreview> {
  const outcome = await callPreview(site, preview);
  const at = new Date().toISOString();
  const digest = previewDigest({ tool: preview.tool, ...outcome, at });
  approvalPreviewed(site.tool.server, site.tool.name, outcome.status);
  log.info('approval previewed', {
    server: site.tool.server,
    tool: site.tool.name,
    preview: preview.tool,
    status: outcome.status,
  });
  const escaped = escapeInvisible(outcome.content) !== outcome.content;
  return { tool: preview.tool, ...outcome, at, digest, chars: outcome.content.length, escaped };
}
