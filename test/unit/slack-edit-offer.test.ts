// Which clients offer edit on approve, and how Slack words it: one rule shared with the console, Slack's 3,000
// character field, the card's button or note, refusal reasons escaped, and edited JSON read with line and column.
import { describe, expect, it } from 'vitest';
import { approvalCard } from '../../slack/card.ts';
import { EDIT_ACTION } from '../../slack/actions.ts';
import { editModal } from '../../slack/edit-modal.ts';
import { slackEditOffer } from '../../slack/edit-offer.ts';
import { editBlocker } from '../../workflows/shared/edit-offer.ts';
import { parseArgumentsJson } from '../../runtime/arguments-json.ts';
import { quorumState } from '../../workflows/shared/quorum.ts';
import type { PendingApproval, PreviewSummary } from '../../workflows/contract.ts';

const approval: PendingApproval = {
  approvalId: 'r1.1.0',
  roundId: 'r1',
  step: 1,
  callIndex: 0,
  toolCallId: 'c1',
  server: 'k8s',
  tool: 'scale_deployment',
  arguments: { name: 'web', replicas: 30 },
  argsPreview: '{"name":"web","replicas":30}',
  argsDigest: 'a'.repeat(64),
  argsChars: 40,
  redacted: [],
  unknownKeys: [],
  escaped: false,
  requester: 'carol',
  approvers: ['alice'],
  allowSelfApproval: false,
  openedAt: '2030-01-01T00:00:00.000Z',
  expiresAt: '2030-01-01T00:10:00.000Z',
  status: 'pending',
  ignored: [],
};
const quorum = quorumState(
  { requirements: [{ group: 'oncall', count: 2, members: ['alice', 'bob'] }], rejectWith: 'first' },
  [],
);
const buttons = (card: ReturnType<typeof approvalCard>) =>
  (card.blocks.find((block) => block.type === 'actions') as { elements: Array<{ action_id: string }> }).elements.map(
    (button) => button.action_id,
  );

describe('edit on approve in Slack', () => {
  it('offers an edit only where the round could take it and the text is the arguments', () => {
    expect(editBlocker(approval)).toBeUndefined();
    expect(editBlocker(approval, false)).toMatch(/editable: false/);
    expect(editBlocker({ ...approval, quorum })).toMatch(/quorum/);
    const preview: PreviewSummary = {
      tool: 'get_deployment',
      status: 'ok',
      at: approval.openedAt,
      digest: 'b'.repeat(64),
      chars: 9,
      truncated: false,
      escaped: false,
    };
    expect(editBlocker({ ...approval, preview })).toMatch(/preview/);
    const previewed = { ...approval, preview: { ...preview, content: 'replicas: 30' } };
    expect(buttons(approvalCard(previewed, 'http://ui.test'))).not.toContain(EDIT_ACTION);
    expect(editBlocker({ ...approval, redacted: ['password'] })).toMatch(/redacted values \(password\)/);
    expect(editBlocker({ ...approval, escaped: true })).toMatch(/escaped/);
    expect(editBlocker({ ...approval, argsChars: undefined })).toMatch(/predates/);
    expect(slackEditOffer(approval)).toEqual({ offer: 'field' });
    expect(slackEditOffer({ ...approval, argsChars: 3000 })).toEqual({ offer: 'field' });
    expect(slackEditOffer({ ...approval, argsChars: 3001 })).toEqual({ offer: 'elsewhere', chars: 3001 });
    expect(slackEditOffer({ ...approval, argsChars: 3001, quorum })).toMatchObject({ offer: 'none' });
  });

  it('puts the button on the card, a note where the arguments are too long, and neither where no edit applies', () => {
    expect(buttons(approvalCard(approval, 'http://ui.test'))).toContain(EDIT_ACTION);
    expect(buttons(approvalCard(approval, 'http://ui.test', { editable: false }))).not.toContain(EDIT_ACTION);
    expect(buttons(approvalCard({ ...approval, quorum }, 'http://ui.test'))).not.toContain(EDIT_ACTION);
    const long = approvalCard({ ...approval, argsChars: 5000 }, 'http://ui.test', {
      approvalPage: 'http://api.test/ui/approvals/r1.1.0',
    });
    expect(buttons(long)).not.toContain(EDIT_ACTION);
    expect(JSON.stringify(long.blocks)).toContain(
      '`toolgate approve r1.1.0 --edit` or on <http://api.test/ui/approvals/r1.1.0|its page in the console>',
    );
    const locked = JSON.stringify(
      approvalCard({ ...approval, argsChars: 5000 }, 'http://ui.test', { editable: false }),
    );
    expect(locked).not.toContain('--edit');
  });

  it('escapes the refusal reasons and names in the form; the field holds the text as typed', () => {
    const text = '{"name": "<!channel>"}';
    const view = editModal({ ...approval, requester: '<!here>' }, text, { ...approval, responseUrl: 'http://r' }, [
      'name <@U1> & more',
    ]);
    const shown = JSON.stringify(view.blocks.filter((block) => block.type !== 'input'));
    expect(shown).toContain('name &lt;@U1&gt; &amp; more');
    expect(shown).toContain('*&lt;!here&gt;*');
    expect(shown).not.toMatch(/<!here>|<@U1>/);
    expect(view.blocks.find((block) => block.type === 'input')).toMatchObject({
      element: { initial_value: text, max_length: 3000 },
    });
  });

  it('reads edited JSON as an object, or names the line and column where it goes wrong', () => {
    expect(parseArgumentsJson('{"a": [1, 2]}')).toEqual({ ok: true, arguments: { a: [1, 2] } });
    expect(parseArgumentsJson('[1]')).toEqual({ ok: false, problem: 'not_an_object' });
    expect(parseArgumentsJson('null')).toEqual({ ok: false, problem: 'not_an_object' });
    expect(parseArgumentsJson('{\n  "a": 1,\n  "b": tru\n}')).toMatchObject({ problem: 'syntax', line: 3, column: 8 });
    expect(parseArgumentsJson('{\n  "a": 1\n  "b": 2\n}')).toMatchObject({ problem: 'syntax', line: 3, column: 3 });
    expect(parseArgumentsJson('')).toMatchObject({ problem: 'syntax', line: 1, column: 1 });
  });
});
