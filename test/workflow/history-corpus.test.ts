// Every stored history (test/histories/v<N>/*.json, recorded by `npm run histories:record`) must replay on the
// workflow code of this change: rounds waiting for a human across a deploy depend on it. Older sets keep the
// shape rounds had before a patched() change; the newest set is recorded on today's code, so it takes every
// patched() branch. A change that breaks determinism fails here, naming the history and the command that
// differs; guard such a change with patched() (docs/operations.md, "Upgrading").
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import ts from 'typescript';
import { workflowSpanSinks } from '../../runtime/workflow-span-sink.ts';
import { describe, expect, it } from 'vitest';
import { bundleWithGate } from '../deploy/bundle-next-version.ts';
import { KINDS, NEWEST_SET } from '../histories/record.ts';
import { workflowBundle } from '../support/round-harness.ts';

const histories = new URL('../histories/', import.meta.url);
const sets = readdirSync(histories, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && /^v\d+$/.test(entry.name))
  .map((entry) => entry.name)
  .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));

/** Each stored history with its round id (approval ids derive from it, so replay must use the original). */
const corpus = sets.flatMap((set) =>
  readdirSync(new URL(`${set}/`, histories))
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const file = `${set}/${name}`;
      const history: temporal.api.history.v1.IHistory = historyFromJSON(
        JSON.parse(readFileSync(new URL(file, histories), 'utf8')),
      );
      return {
        set,
        file,
        workflowId: history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId ?? file,
        history,
      };
    }),
);

/** Replays the whole corpus; returns `<set>/<file>: <error>` for each history that does not replay. */
async function replayCorpus(bundle: { code: string }): Promise<string[]> {
  const fileOf = new Map(corpus.map((entry) => [entry.workflowId, entry.file]));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: bundle, sinks: workflowSpanSinks(undefined) },
    corpus,
  )) {
    if (result.error) failures.push(`${fileOf.get(result.workflowId)}: ${result.error.message}`);
  }
  return failures;
}

/** Calls that ask a patch: the SDK's, and the round's wrapper that a gateway round answers without a marker. */
const PATCH_CALLS = new Set(['patched', 'deprecatePatch', 'isPatched']);

/** A wrapper's own call (`patched(id)` with its parameter `id`): its callers name the ids. */
function forwardsParameter(call: ts.CallExpression): boolean {
  const argument = call.arguments[0];
  if (!argument || !ts.isIdentifier(argument)) return false;
  for (let node: ts.Node | undefined = call.parent; node; node = node.parent) {
    if (ts.isFunctionLike(node))
      return node.parameters.some(
        (parameter) => ts.isIdentifier(parameter.name) && parameter.name.text === argument.text,
      );
  }
  return false;
}

/**
 * The id of every patched() / deprecatePatch() / isPatched() call in workflow code, read from the syntax tree: a literal, or a
 * constant declared with a literal anywhere in workflows/ (so the constants may move between modules).
 */
function patchIdsInWorkflowCode(): string[] {
  const root = fileURLToPath(new URL('../../workflows/', import.meta.url));
  const sources = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ts.createSourceFile(file, readFileSync(`${root}${file}`, 'utf8'), ts.ScriptTarget.Latest, true));
  const constants = new Map<string, Set<string>>();
  const calls: Array<{ argument: ts.Expression | undefined; where: string }> = [];
  const visit = (node: ts.Node, source: ts.SourceFile): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      if (ts.isStringLiteralLike(node.initializer))
        constants.set(node.name.text, (constants.get(node.name.text) ?? new Set()).add(node.initializer.text));
    }
    if (ts.isCallExpression(node)) {
      const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
      if (ts.isIdentifier(callee) && PATCH_CALLS.has(callee.text) && !forwardsParameter(node)) {
        const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        calls.push({ argument: node.arguments[0], where: `workflows/${source.fileName}:${line}` });
      }
    }
    node.forEachChild((child) => visit(child, source));
  };
  for (const source of sources) visit(source, source);
  return calls.map(({ argument, where }) => {
    if (argument && ts.isStringLiteralLike(argument)) return argument.text;
    const values = argument && ts.isIdentifier(argument) ? constants.get(argument.text) : undefined;
    if (values?.size === 1) return [...values][0]!;
    return `(an id this test cannot read at ${where}: use a literal or a constant initialised with one)`;
  });
}

/** The patch ids recorded as markers in a history: each marker detail that decodes to `{ id }`. */
function markedPatchIds(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap((event) =>
    Object.values(event.markerRecordedEventAttributes?.details ?? {}).flatMap(
      (detail) =>
        detail.payloads?.flatMap((payload) => {
          const value: unknown = defaultPayloadConverter.fromPayload(payload);
          const id = (value as { id?: unknown } | null)?.id;
          return typeof id === 'string' ? [id] : [];
        }) ?? [],
    ),
  );
}

describe('stored history corpus', () => {
  it(`records into the newest set (${NEWEST_SET}), which holds a history of every kind of round`, () => {
    expect(sets.at(-1)).toBe(NEWEST_SET);
    expect(corpus.filter((entry) => entry.set === NEWEST_SET).map((entry) => entry.file)).toEqual(
      Object.keys(KINDS)
        .sort()
        .map((kind) => `${NEWEST_SET}/${kind}.json`),
    );
  });

  it('replays every stored history of every set on this code', async () => {
    expect(sets.length).toBeGreaterThan(1);
    const failures = await replayCorpus(workflowBundle());
    expect(
      failures,
      `\n${failures.join('\n')}\nA change broke the replay of stored rounds: guard it with patched() (docs/operations.md, "Upgrading").`,
    ).toEqual([]);
  });

  it('holds, in the newest set, a marker of every patched() id of the workflow code', () => {
    const ids = patchIdsInWorkflowCode();
    expect(ids.length).toBeGreaterThan(0);
    const marked = new Set(
      corpus.filter((entry) => entry.set === NEWEST_SET).flatMap((entry) => markedPatchIds(entry.history)),
    );
    const missing = [...new Set(ids)].filter((id) => !marked.has(id));
    expect(
      missing,
      `no history of test/histories/${NEWEST_SET}/ took these patched() branches: record a new set on this code ` +
        '(docs/operations.md, "Upgrading")',
    ).toEqual([]);
  });

  it('fails, naming the history and the command, when workflow code changes without patched()', async () => {
    const failures = await replayCorpus(await bundleWithGate('./unpatched-gate.ts'));
    const gated = [
      'approved',
      'cancelled',
      'edited',
      'escalated',
      'expired',
      'forged-decision',
      'gateway-approved',
      'odd-key',
      'outcome-unknown',
      'previewed',
      'quorum',
      'rechecked',
      'rejected',
      'remembered',
      'siblings',
      'slack-card',
    ];
    // Kinds added in a later set are in that set and the newer ones only.
    expect(failures.map((failure) => failure.split(':')[0]).sort()).toEqual(
      corpus.map((entry) => entry.file).filter((file) => gated.includes(/([^/]+)\.json$/.exec(file)![1]!)),
    );
    // A history whose first gated task also recorded a patch marker (quorum) fails on that marker instead.
    for (const failure of failures)
      expect(failure).toMatch(
        /\.json: .*Nondeterminism error: .*(does not handle this event: HistoryEvent\(id: \d+, \w+\)|patch marker encountered for change \S+, but there is no corresponding change command)/,
      );
  });
});
