// The pieces of previews that need no server: argument mappings, the read-only rule the worker applies when it
// lists tools, the digest, the config checks, and how the console page and the Slack card show hostile output.
import { describe, expect, it } from 'vitest';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { previewArguments } from '../../workflows/preview-arguments.ts';
import { previewDigest, previewSummary } from '../../workflows/shared/preview-text.ts';
import { decisionSigningText } from '../../workflows/shared/signatures.ts';
import { previewProblem } from '../../activities/preview-tool.ts';
import { parseConfig, type ServerConfig } from '../../runtime/config.ts';
import { approvalPage } from '../../api/ui/pages/approval.ts';
import { approvalCard } from '../../slack/card.ts';
import type { ApprovalPreview, PendingApproval } from '../../workflows/contract.ts';

const HOSTILE = '<script>alert(1)</script>\u202eexe.txt \u001b[2J';

function configWith(tools: Record<string, unknown>, trusted = true) {
  return parseConfig(
    {
      temporal: { address: '127.0.0.1:7233', taskQueue: 'q' },
      llm: { baseURL: 'http://127.0.0.1:1/v1', model: 'm' },
      approvals: { approvers: ['alice'] },
      servers: [{ name: 'k8s', transport: 'http', url: 'http://127.0.0.1:2/mcp', trusted, tools }],
    },
    'test',
  );
}

const listed = (name: string, annotations?: Tool['annotations']): Tool => ({
  name,
  inputSchema: { type: 'object' },
  ...(annotations ? { annotations } : {}),
});

describe('preview arguments', () => {
  const args = { metadata: { name: 'web', labels: { app: 'x' } }, containers: [{ image: 'nginx' }], replicas: 3 };

  it('passes the call’s arguments as they are without a mapping', () => {
    expect(previewArguments(args, undefined)).toBe(args);
  });

  it('takes each preview argument from a dot path, arrays by index, and leaves out paths the call lacks', () => {
    expect(
      previewArguments(args, {
        target: 'metadata.name',
        image: 'containers.0.image',
        count: 'replicas',
        missing: 'metadata.namespace',
        through: 'replicas.value',
        proto: 'metadata.constructor',
      }),
    ).toEqual({ target: 'web', image: 'nginx', count: 3 });
  });
});

describe('which preview tools the worker runs', () => {
  const tools = [
    listed('apply_manifest', { readOnlyHint: false }),
    listed('diff_manifest', { readOnlyHint: true }),
    listed('plan', {}),
  ];

  it('runs a read-only tool of a trusted server, or one the operator vouches for', () => {
    const config = configWith({
      apply_manifest: { preview: { tool: 'diff_manifest', arguments: { target: 'metadata.name' } } },
    });
    expect(previewProblem(config.servers[0]!, 'apply_manifest', tools)).toBeUndefined();
    const vouched = configWith({ apply_manifest: { preview: { tool: 'plan', readOnly: true } } }, false);
    expect(previewProblem(vouched.servers[0]!, 'apply_manifest', tools)).toBeUndefined();
  });

  it('says why it will not run a missing tool, a tool that may write, or hints of an untrusted server', () => {
    const problem = (tools_: Record<string, unknown>, trusted = true) =>
      previewProblem(configWith(tools_, trusted).servers[0] as ServerConfig, 'apply_manifest', tools);
    expect(problem({ apply_manifest: { preview: { tool: 'diff_manfest' } } })).toMatch(
      /preview tool 'diff_manfest' is not offered by server 'k8s'/,
    );
    expect(problem({ apply_manifest: { preview: { tool: 'plan' } } })).toMatch(/'plan' is not read-only/);
    expect(problem({ apply_manifest: { preview: { tool: 'diff_manifest' } } }, false)).toMatch(/is not trusted/);
  });

  it('refuses a tool that previews itself at load', () => {
    expect(() => configWith({ apply_manifest: { preview: { tool: 'apply_manifest', readOnly: true } } })).toThrow(
      /a tool cannot preview itself/,
    );
  });
});

describe('the preview digest and the decision signature', () => {
  const preview = {
    tool: 'diff',
    status: 'ok' as const,
    content: 'x',
    truncated: false,
    at: '2030-01-01T00:00:00.000Z',
  };

  it('changes with every field the approver is shown', () => {
    const digest = previewDigest(preview);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    for (const changed of [
      { content: 'y' },
      { status: 'failed' as const },
      { at: '2030-01-01T00:00:01.000Z' },
      { truncated: true },
      { tool: 'plan' },
    ])
      expect(previewDigest({ ...preview, ...changed })).not.toBe(digest);
  });

  it('signs a decision’s preview digest, and signs a decision without one exactly as before', () => {
    const request = {
      approvalId: 'a',
      decision: 'approve' as const,
      approver: { id: 'alice', channel: 'http' as const },
      argsDigest: 'd',
    };
    expect(decisionSigningText(request)).not.toContain('previewDigest');
    expect(decisionSigningText({ ...request, previewDigest: 'p' })).toContain('"previewDigest":"p"');
  });
});

describe('a hostile preview on the console and the Slack card', () => {
  const content = HOSTILE;
  const shown: ApprovalPreview = {
    tool: 'diff',
    status: 'ok',
    content,
    truncated: false,
    at: '2030-01-01T00:00:00.000Z',
    chars: content.length,
    escaped: true,
    digest: previewDigest({ tool: 'diff', status: 'ok', content, truncated: false, at: '2030-01-01T00:00:00.000Z' }),
  };
  const approval: PendingApproval = {
    approvalId: 'r1.1.0',
    roundId: 'r1',
    step: 1,
    callIndex: 0,
    toolCallId: 'c1',
    server: 'k8s',
    tool: 'apply_manifest',
    arguments: { name: 'web' },
    argsPreview: '{"name":"web"}',
    argsDigest: 'a'.repeat(64),
    argsChars: 20,
    redacted: [],
    unknownKeys: [],
    escaped: false,
    requester: 'carol',
    approvers: ['bob'],
    allowSelfApproval: false,
    preview: shown,
    previewDigest: shown.digest,
    openedAt: '2030-01-01T00:00:00.000Z',
    expiresAt: '2030-01-01T00:10:00.000Z',
    status: 'pending',
    ignored: [],
  };

  it('shows it on the approval page in full, escaped, and the forms send its digest', () => {
    const { arguments: args, ignored: _i, callIndex: _c, toolCallId: _t, ...summary } = approval;
    const page = approvalPage(
      { principal: 'bob', csrf: 'x', viaProxy: false },
      {
        view: { ...summary, arguments: args, argumentsText: '{}', status: 'pending' },
        query: 'apply it',
        webUiUrl: 'http://ui.test',
      },
    );
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;\\u202eexe.txt \\u001b[2J');
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('\u202e');
    expect(page).not.toContain('\u001b');
    expect(page.match(new RegExp(`name="previewDigest" value="${shown.digest}"`, 'g'))).toHaveLength(2);
    // Escaped output asks for the same explicit confirmation as escaped arguments.
    expect(page).toContain('the preview holds control, bidi or zero-width characters, shown escaped');
    expect(page).toContain('name="confirm"');
  });

  it('puts it on the card escaped, without a one-click Approve', () => {
    const card = approvalCard(approval, 'http://ui.test');
    const text = JSON.stringify(card.blocks);
    expect(text).toContain('&lt;script&gt;');
    expect(text).not.toContain('\u202e');
    expect(text).not.toContain('\u001b');
    const actions = card.blocks.find((block) => block.type === 'actions') as { elements: Array<{ action_id: string }> };
    expect(actions.elements.map((button) => button.action_id)).toEqual([
      'toolgate_view_arguments',
      'toolgate_reject',
      'toolgate_view_preview',
    ]);
    expect(previewSummary(shown)).not.toHaveProperty('content');
  });
});
