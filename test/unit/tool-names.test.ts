import { describe, expect, it } from 'vitest';
import type { ToolDescriptor } from '../../workflows/contract.ts';
import { buildToolDirectory, resolveToolCall } from '../../workflows/tool-names.ts';

function tool(server: string, name: string): ToolDescriptor {
  return {
    server,
    name,
    inputSchema: { type: 'object' },
    annotations: {},
    policy: {
      approval: 'never',
      trusted: true,
      argumentRules: [],
      approvalTimeoutMs: 1,
      approvers: ['*'],
      allowSelfApproval: false,
      callTimeoutMs: 1,
      retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 },
    },
  };
}

const directory = buildToolDirectory([
  tool('a', 'echo'),
  tool('b', 'echo'),
  tool('a', 'list.pods'),
  tool('b', 'constructor'),
]);

describe('tool directory', () => {
  it('keeps unique names bare, qualifies shared ones and sanitizes for the LLM API', () => {
    expect(directory.definitions.map((definition) => definition.name)).toEqual([
      'a__echo',
      'b__echo',
      'list_pods',
      'constructor',
    ]);
  });

  it('resolves exposed and qualified names', () => {
    const resolved = resolveToolCall(directory, { id: '1', name: 'list_pods', arguments: '{"n":1}' });
    expect(resolved).toMatchObject({ ok: true, tool: { server: 'a', name: 'list.pods' }, args: { n: 1 } });
    expect(resolveToolCall(directory, { id: '1', name: 'b__constructor', arguments: '' })).toMatchObject({
      ok: true,
      args: {},
    });
  });

  it('refuses ambiguous, unknown and prototype names, and non-object arguments', () => {
    expect(resolveToolCall(directory, { id: '1', name: 'echo', arguments: '{}' })).toEqual({
      ok: false,
      error: "Tool name 'echo' is ambiguous: use one of a__echo, b__echo.",
    });
    expect(resolveToolCall(directory, { id: '1', name: 'toString', arguments: '{}' })).toMatchObject({ ok: false });
    expect(resolveToolCall(directory, { id: '1', name: '__proto__', arguments: '{}' })).toMatchObject({ ok: false });
    expect(resolveToolCall(directory, { id: '1', name: '', arguments: '{}' })).toMatchObject({ ok: false });
    expect(resolveToolCall(directory, { id: '1', name: 'list_pods', arguments: 'null' })).toMatchObject({ ok: false });
    expect(resolveToolCall(directory, { id: '1', name: 'list_pods', arguments: '{' })).toMatchObject({ ok: false });
  });

  it('refuses arguments nested deeper than the policy walks them, at any depth without overflowing', () => {
    const nested = (depth: number): string => `{"namespace":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    expect(resolveToolCall(directory, { id: '1', name: 'list_pods', arguments: nested(64) })).toMatchObject({
      ok: true,
    });
    for (const depth of [65, 100_000]) {
      expect(resolveToolCall(directory, { id: '1', name: 'list_pods', arguments: nested(depth) })).toEqual({
        ok: false,
        error: "Arguments for tool 'list_pods' nest deeper than 64 levels.",
      });
    }
  });
});
