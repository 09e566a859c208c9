// The reader's own rounds, newest first, as visibility lists them (no worker needed).
import type { ListedRound } from '../../requester-rounds.ts';
import { html } from '../html.ts';
import { page, type Reader } from '../layout.ts';

export function roundsPage(reader: Reader, rounds: ListedRound[]): string {
  const rows = rounds.map(
    (round) =>
      html`<li class="card">
        <a href="/ui/rounds/${encodeURIComponent(round.roundId)}"><code>${round.roundId}</code></a>
        <span>${round.closedAt ? html`closed ${round.closedAt.toISOString()}` : 'running'}</span>
        ${round.pendingApprovalIds.length > 0 ? html`<span class="badge">${round.pendingApprovalIds.length} waiting for approval</span>` : ''}
      </li>`,
  );
  return page(
    'My rounds',
    html`<h1>My rounds</h1>
      ${
        rounds.length === 0
          ? html`<p class="empty">You have started no rounds.</p>`
          : html`<ul class="cards">
              ${rows}
            </ul>`
      }`,
    reader,
  );
}
