// The approvals a reader may decide: a card each, never with a decision button (a decision is made on the
// approval's own page, in front of every argument). The list is re-sent over SSE whenever it changes.
import type { ApprovalSummary } from '../../../workflows/contract.ts';
import { html, type Html } from '../html.ts';
import { page, type Reader } from '../layout.ts';

/** Approvals a page lists: far more than fit on a screen; the HTTP API pages further. */
export const LISTED_APPROVALS = 50;

/** When an approval expires: the time, counted down by console.js. */
export function expiry(expiresAt: string): Html {
  return html`<time datetime="${expiresAt}" data-countdown>${expiresAt}</time>`;
}

function card(approval: ApprovalSummary): Html {
  const href = `/ui/approvals/${encodeURIComponent(approval.approvalId)}`;
  return html`<li class="card" data-approval-id="${approval.approvalId}">
    <h2><a href="${href}">${approval.server}/${approval.tool}</a></h2>
    <p>
      Requested by <strong>${approval.requester}</strong> · step ${approval.step} · expires
      ${expiry(approval.expiresAt)}
    </p>
    <pre class="preview">${approval.argsPreview}</pre>
  </li>`;
}

export function approvalList(approvals: ApprovalSummary[]): Html {
  if (approvals.length === 0) return html`<p class="empty">Nothing waits for your decision.</p>`;
  return html`<ul class="cards">
    ${approvals.map(card)}
  </ul>`;
}

export function approvalsPage(reader: Reader, approvals: ApprovalSummary[]): string {
  return page(
    'Approvals',
    html`<h1>Approvals you may decide</h1>
      <div hx-ext="sse" sse-connect="/ui/approvals/stream">
        <div id="approval-list" sse-swap="approvals" aria-live="polite">${approvalList(approvals)}</div>
      </div>`,
    reader,
  );
}
