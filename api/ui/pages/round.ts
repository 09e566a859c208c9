// A round's live timeline. The page is a shell: the timeline is filled by /ui/rounds/{id}/stream, which renders
// each event of the round's event stream (what the reader may see of it) as a list item, and the model's text
// as it streams (token events) into the answer area; the final answer replaces it.
import type { LiveEvent, RoundEvent } from '../../../workflows/contract.ts';
import type { ApproverRoundEvent } from '../../../runtime/http-api.ts';
import { quorumNeeded } from '../../../workflows/shared/quorum-text.ts';
import { reminderStepText } from '../../../workflows/shared/reminder-text.ts';
import { recheckEventText } from '../../../workflows/shared/policy-trail-text.ts';
import { html, type Html } from '../html.ts';
import { page, type Reader } from '../layout.ts';

export interface RoundPage {
  roundId: string;
  status: string | undefined;
  query: string | undefined;
  webUiUrl: string;
}

export function roundPage(reader: Reader, round: RoundPage): string {
  const stream = `/ui/rounds/${encodeURIComponent(round.roundId)}/stream`;
  return page(
    `Round ${round.roundId}`,
    html`<h1>Round <code>${round.roundId}</code></h1>
      <dl class="facts">
        ${
          round.query === undefined
            ? ''
            : html`<dt>Query</dt>
                <dd class="query">${round.query}</dd>`
        }
        <dt>Status</dt>
        <dd>${round.status ?? 'unknown'}</dd>
        <dt>Temporal</dt>
        <dd><a href="${round.webUiUrl}" rel="noreferrer">Open in Temporal Web UI</a></dd>
      </dl>
      <div hx-ext="sse" sse-connect="${stream}" sse-close="done">
        <h2>Answer</h2>
        <div
          id="live-answer"
          class="answer"
          sse-swap="token,reasoning,token_reset"
          hx-swap="beforeend"
          aria-live="polite"
        ></div>
        <h2>Timeline</h2>
        <ol id="timeline" class="timeline" sse-swap="event" hx-swap="beforeend" aria-live="polite"></ol>
      </div>`,
    reader,
  );
}

function item(kind: string, at: string, body: Html): Html {
  return html`<li class="event ${kind}"><time datetime="${at}">${at.slice(11, 19)}</time> ${body}</li>`;
}

function approvalLink(approvalId: string): Html {
  return html`<a href="/ui/approvals/${encodeURIComponent(approvalId)}"><code>${approvalId}</code></a>`;
}

/** One durable event as a timeline item (and, for the final answer, the answer area replaced out of band). */
export function eventFragment(event: RoundEvent | ApproverRoundEvent): Html {
  switch (event.type) {
    case 'round_started':
      return item(
        event.type,
        event.at,
        html`Started by <strong>${event.requester}</strong>: <q class="query">${event.query}</q>`,
      );
    case 'llm_step':
      return item(
        event.type,
        event.at,
        html`Step ${event.step}: the model replied (${event.finishReason}) with ${event.toolCalls} tool
        call${event.toolCalls === 1 ? '' : 's'}`,
      );
    case 'tool_call':
      return item(
        event.type,
        event.at,
        html`Step ${event.step}: calls <strong>${event.server ? `${event.server}/` : ''}${event.name}</strong>
          <pre>${event.arguments}</pre>`,
      );
    case 'approval_required':
      return item(
        event.type,
        event.at,
        html`Waits for approval ${approvalLink(event.approval.approvalId)} of
          <strong>${event.approval.server}/${event.approval.tool}</strong>${
            event.approval.preview
              ? html`, previewed by ${event.approval.preview.tool}: ${event.approval.preview.status}`
              : ''
          }`,
      );
    case 'approval_decided':
      return item(
        event.type,
        event.at,
        html`Approval ${approvalLink(event.approvalId)} <strong>${event.status}</strong>${
            event.decision
              ? html` by ${event.decision.approver.id} via
                ${event.decision.approver.channel}${event.decision.reason ? html`: “${event.decision.reason}”` : ''}`
              : ''
          }`,
      );
    case 'approval_counted':
      return item(
        event.type,
        event.at,
        html`Approval ${approvalLink(event.approvalId)}: ${event.decision.approver.id}
          <strong>${event.decision.decision === 'approve' ? 'approved' : 'rejected'}</strong> via
          ${event.decision.approver.channel}; still needed: ${quorumNeeded(event.quorum)}`,
      );
    case 'approval_reminded':
    case 'approval_escalated':
    case 'approval_extended':
      return item(
        event.type,
        event.at,
        html`Approval ${approvalLink(event.approvalId)}: ${reminderStepText(event.step, (iso) => iso)}`,
      );
    case 'approval_rechecked':
      return item(event.type, event.at, html`Approval ${approvalLink(event.approvalId)}: ${recheckEventText(event)}`);
    case 'approval_readdressed':
      return item(
        event.type,
        event.at,
        html`Approval ${approvalLink(event.approvalId)} re-addressed by policy to ${event.approvers.join(', ')}`,
      );
    case 'tool_result':
      return item(
        event.type,
        event.at,
        html`Step ${event.step}: <strong>${event.name}</strong> ${event.outcome}${event.truncated ? ' (truncated)' : ''}
          <pre>${event.content}</pre>`,
      );
    case 'round_completed': {
      // Whitespace inside the answer area shows (pre-wrap): the answer is its only content.
      const answer = 'answer' in event ? event.answer : html`<em>The answer is for the requester.</em>`;
      return html`${item(event.type, event.at, html`Completed`)}
        <div id="live-answer" class="answer" hx-swap-oob="true">${answer}</div>`;
    }
    case 'round_failed':
      return item(
        event.type,
        event.at,
        html`Failed: ${event.error.type}${'message' in event.error ? html` — ${event.error.message}` : ''}`,
      );
    case 'grant_created':
      return item(
        event.type,
        event.at,
        html`Approval ${approvalLink(event.approvalId)} remembered as grant <code>${event.grant.grantId}</code> until
          ${event.grant.expiresAt}`,
      );
    case 'grant_failed':
      return item(
        event.type,
        event.at,
        html`Approval ${approvalLink(event.approvalId)} not remembered: ${event.reason}`,
      );
  }
}

/** The model's text as it streams: appended to the answer area, a step's text dropped when its call is made again. */
export function liveFragment(event: LiveEvent): Html {
  const stepClass = `live-step-${event.step}`;
  switch (event.type) {
    case 'token':
      return html`<span class="${stepClass}">${event.text}</span>`;
    case 'reasoning':
      return html`<span class="${stepClass} reasoning">${event.text}</span>`;
    case 'token_reset':
      return html`<span hx-swap-oob="delete:#live-answer .${stepClass}"></span>`;
  }
}

/** A comment of the stream (a gap in kept events, an interruption) for the reader. */
export function noteFragment(text: string): Html {
  return html`<li class="event note">${text}</li>`;
}
