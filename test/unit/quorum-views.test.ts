// What a quorum approval shows on the Slack card and the console's approval page: the rule, who decided and what
// is still needed.
import { describe, expect, it } from 'vitest';
import { approvalCard } from '../../slack/card.ts';
import { approvalPage } from '../../api/ui/pages/approval.ts';
import { quorumState } from '../../workflows/shared/quorum.ts';
import type { PendingApproval } from '../../workflows/contract.ts';

const quorum = quorumState(
  {
    requirements: [
      { group: 'oncall', count: 2, members: ['alice', 'bob'] },
      { group: 'dba', count: 1, members: ['dave'] },
    ],
    rejectWith: 'first',
  },
  [{ approver: 'alice', decision: 'approve' }],
);
const approval: PendingApproval = {
  approvalId: 'r1.1.0',
  roundId: 'r1',
  step: 1,
  callIndex: 0,
  toolCallId: 'c1',
  server: 'db',
  tool: 'drop_table',
  arguments: { table: 'users' },
  argsPreview: '{"table":"users"}',
  argsDigest: 'a'.repeat(64),
  argsChars: 20,
  redacted: [],
  unknownKeys: [],
  escaped: false,
  requester: 'carol',
  approvers: ['alice', 'bob', 'dave'],
  allowSelfApproval: false,
  quorum,
  decisions: [],
  openedAt: '2030-01-01T00:00:00.000Z',
  expiresAt: '2030-01-01T00:10:00.000Z',
  status: 'pending',
  ignored: [],
};

describe('quorum on the Slack card and the console', () => {
  it('puts the rule, the decisions so far and what is still needed on the card', () => {
    const text = JSON.stringify(approvalCard(approval, 'http://ui.test').blocks);
    expect(text).toContain('*Quorum* 2 of oncall and 1 of dba');
    expect(text).toContain('*Decided* alice approved (oncall)');
    expect(text).toContain('*Still needed* 1 of oncall and 1 of dba');
  });

  it('shows the same on the approval page', () => {
    const { arguments: args, ignored: _ignored, callIndex: _c, toolCallId: _t, decisions, ...summary } = approval;
    const page = approvalPage(
      { principal: 'bob', csrf: 'x', viaProxy: false },
      {
        view: { ...summary, arguments: args, argumentsText: '{}', decisions, status: 'pending' },
        query: 'drop it',
        webUiUrl: 'http://ui.test',
      },
    );
    expect(page).toMatch(/<dt>Quorum<\/dt>\s*<dd>\s*2 of oncall and 1 of dba\s*<\/dd>/);
    expect(page).toMatch(/<dt>Decided<\/dt>\s*<dd>alice approved \(oncall\)<\/dd>/);
    expect(page).toMatch(/<dt>Still needed<\/dt>\s*<dd>1 of oncall and 1 of dba<\/dd>/);
  });
});
