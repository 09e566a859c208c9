// One approval in front of its approver: tool, server, requester, the round's query, every argument as the
// API shows them (redacted by exact rule, invisible characters escaped), the flags, the digest, the expiry and
// the decision. Approve posts the digest of exactly the arguments shown; where something is redacted, escaped
// or undeclared it also needs an explicit confirmation, as `toolgate approve` does.
import { reviewReasons } from '../../../workflows/shared/approval-summary.ts';
import { mayDecide } from '../../../workflows/shared/decide-rights.ts';
import { quorumDecided, quorumNeeded, quorumRule } from '../../../workflows/shared/quorum-text.ts';
import { reminderLines } from '../../../workflows/shared/reminder-text.ts';
import { policyTrailText } from '../../../workflows/shared/policy-trail-text.ts';
import type { ApprovalSummary } from '../../../workflows/contract.ts';
import type { ApprovalResponse } from '../../../runtime/http-api.ts';
import { html, type Html } from '../html.ts';
import { csrfField, page, type Reader } from '../layout.ts';
import { expiry } from './approvals.ts';
import { editForm } from './edit-form.ts';

export interface ApprovalPage {
  view: ApprovalResponse;
  /** The round's query, when the round answered in time. */
  query: string | undefined;
  webUiUrl: string;
  /** Why the last decision was refused. */
  error?: string | undefined;
  /** What Remember proposes (approvals.grants.defaultTtl, e.g. `8h`), when the tool allows grants. */
  rememberTtl?: string;
}

/** Why approving needs an explicit confirmation; empty when every argument shows exactly as it runs. */
export function confirmationReasons(view: ApprovalSummary): string[] {
  return reviewReasons(view, Number.POSITIVE_INFINITY);
}

/** Approve and remember: a grant of exactly these arguments for the requester, for the TTL given. */
function rememberFields(view: ApprovalResponse, ttl: string | undefined): Html | string {
  if (!view.rememberable || ttl === undefined) return '';
  return html`<label class="confirm"
      ><input type="checkbox" name="remember" value="yes" /> Remember: ${view.requester}'s later calls of
      ${view.server}/${view.tool} with exactly these arguments run without asking, for</label
    >
    <input
      aria-label="How long to remember"
      name="rememberTtl"
      value="${ttl}"
      pattern="[0-9]+(ms|s|m|h|d)"
      maxlength="12"
      size="5"
    />`;
}

function decisionForms(reader: Reader, view: ApprovalResponse, rememberTtl: string | undefined): Html {
  const action = `/ui/approvals/${encodeURIComponent(view.approvalId)}/decision`;
  const reasons = confirmationReasons(view);
  const approve =
    view.argumentsText === undefined
      ? html`<p class="warning" role="status">
          No worker answered in time, so the arguments cannot be shown: reload to approve. You may reject.
        </p>`
      : html`<form method="post" action="${action}" class="stack">
          ${csrfField(reader)}
          <input type="hidden" name="decision" value="approve" />
          <input type="hidden" name="argsDigest" value="${view.argsDigest}" />
          ${previewDigestField(view)}
          ${
            reasons.length > 0
              ? html`<label class="confirm"
                  ><input type="checkbox" name="confirm" value="yes" required /> I have read every argument and the
                  warnings above</label
                >`
              : ''
          }
          <label for="approve-reason">Reason (optional)</label>
          <input id="approve-reason" name="reason" maxlength="2000" />
          ${rememberFields(view, rememberTtl)}
          <button type="submit" class="approve">Approve</button>
        </form>`;
  return html`<section aria-labelledby="decide">
    <h2 id="decide">Decide</h2>
    ${approve} ${editForm(reader, view, action)}
    <form method="post" action="${action}" class="stack">
      ${csrfField(reader)}
      <input type="hidden" name="decision" value="reject" />
      <input type="hidden" name="argsDigest" value="${view.argsDigest}" />
      ${previewDigestField(view)}
      <label for="reject-reason">Reason for rejecting (the model is told)</label>
      <textarea id="reject-reason" name="reason" required maxlength="2000" rows="2"></textarea>
      <button type="submit" class="reject">Reject</button>
    </form>
  </section>`;
}

/** The decision covers the preview shown on this page. */
function previewDigestField(view: ApprovalResponse): Html {
  return view.previewDigest ? html`<input type="hidden" name="previewDigest" value="${view.previewDigest}" />` : html``;
}

/** The preview in full: an MCP server wrote it, and html() shows its markup and invisible characters escaped. */
function previewSection(view: ApprovalResponse): Html {
  const { preview } = view;
  if (!preview) return html``;
  return html`<h2>Preview</h2>
    <p class="preview-facts">
      <code>${preview.tool}</code> <strong>${preview.status}</strong> at ${preview.at}, ${preview.chars}
      characters${preview.truncated ? ' (cut to the output budget)' : ''} · digest
      <code class="digest">${preview.digest}</code>
    </p>
    ${
      preview.content === undefined
        ? html`<p class="warning" role="status">No worker answered in time to show the preview.</p>`
        : html`<pre class="preview" tabindex="0" aria-label="Preview">${preview.content}</pre>`
    }`;
}

/** A quorum approval: what it requires, who has decided and what is still needed. */
function quorumLines(view: ApprovalResponse): Html {
  const { quorum } = view;
  if (!quorum) return html``;
  return html`<dl class="facts quorum">
    <dt>Quorum</dt>
    <dd>
      ${quorumRule(quorum)}${quorum.rejectWith === 'quorum' ? ' (rejected only when it can no longer be met)' : ''}
    </dd>
    <dt>Decided</dt>
    <dd>${quorumDecided(quorum)}</dd>
    <dt>Still needed</dt>
    <dd>${quorumNeeded(quorum)}</dd>
  </dl>`;
}

/** Reminders, escalation and extension so far, and the step planned next. */
function reminderList(view: ApprovalResponse): Html {
  const lines = reminderLines(view.reminders, (iso) => iso);
  if (lines.length === 0) return html``;
  return html`<ul class="reminders" aria-label="Reminders">
    ${lines.map((line) => html`<li>${line}</li>`)}
  </ul>`;
}

/** The configuration the round started on and what a policy re-check did, when one did. */
function policyLine(view: ApprovalResponse): Html {
  const text = policyTrailText(view.policy);
  return text ? html`<p class="policy">Policy: ${text}</p>` : html``;
}

function decisionLine(view: ApprovalResponse): Html {
  const { decision } = view;
  if (!decision)
    return html`<p>Status: <strong>${view.status}</strong>${view.closedAt ? html` at ${view.closedAt}` : ''}</p>`;
  return html`<p class="decided">
    Status: <strong>${view.status}</strong> by <strong>${decision.approver.id}</strong> via ${decision.approver.channel}
    at ${decision.decidedAt}${decision.reason ? html`: “${decision.reason}”` : ''}
  </p>`;
}

export function approvalPage(reader: Reader, { view, query, webUiUrl, error, rememberTtl }: ApprovalPage): string {
  const right = mayDecide(view, reader.principal);
  const reasons = confirmationReasons(view);
  return page(
    `${view.server}/${view.tool}`,
    html`<h1>${view.server}/${view.tool}</h1>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      <dl class="facts">
        <dt>Requested by</dt>
        <dd>${view.requester}</dd>
        ${
          query === undefined
            ? ''
            : html`<dt>Query</dt>
                <dd class="query">${query}</dd>`
        }
        <dt>Round</dt>
        <dd>
          <a href="/ui/rounds/${encodeURIComponent(view.roundId)}">${view.roundId}</a> (step ${view.step}) ·
          <a href="${webUiUrl}" rel="noreferrer">Temporal Web UI</a>
        </dd>
        <dt>Approval</dt>
        <dd><code>${view.approvalId}</code></dd>
        <dt>Digest</dt>
        <dd><code class="digest">${view.argsDigest}</code></dd>
        <dt>Expires</dt>
        <dd>${expiry(view.expiresAt)}</dd>
      </dl>
      ${quorumLines(view)} ${reminderList(view)} ${policyLine(view)} ${decisionLine(view)}
      ${
        reasons.length > 0
          ? html`<ul class="warnings" aria-label="Warnings">
              ${reasons.map((reason) => html`<li>${reason}</li>`)}
            </ul>`
          : ''
      }
      <h2>Arguments</h2>
      ${
        view.argumentsText === undefined
          ? html`<pre class="arguments" aria-label="Argument preview">${view.argsPreview}</pre>`
          : html`<pre class="arguments" tabindex="0" aria-label="Every argument">${view.argumentsText}</pre>`
      }
      ${previewSection(view)}
      ${
        view.status !== 'pending'
          ? ''
          : right.allowed
            ? decisionForms(reader, view, rememberTtl)
            : html`<p class="note">You may not decide this approval: ${right.why}.</p>`
      }`,
    reader,
  );
}
