// Every stored history (test/histories/*.json, recorded from released code by `npm run histories:record`)
// must replay on the workflow code of this change: rounds waiting for a human across a deploy depend on it.
// A change that breaks determinism fails here, naming the history and the command that differs; guard such a
// change with patched() (README, "Upgrading").
import { readdirSync, readFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { workflowSpanSinks } from '../../runtime/workflow-span-sink.ts';
import { describe, expect, it } from 'vitest';
import { bundleWithGate } from '../deploy/bundle-next-version.ts';
import { KINDS } from '../histories/record.ts';
import { workflowBundle } from '../support/round-harness.ts';

const folder = new URL('../histories/', import.meta.url);
const files = readdirSync(folder)
  .filter((name) => name.endsWith('.json'))
  .sort();

/** Each stored history with its round id (approval ids derive from it, so replay must use the original). */
const corpus = files.map((file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(new URL(file, folder), 'utf8')));
  return {
    file,
    workflowId: history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId ?? file,
    history,
  };
});

/** Replays the whole corpus; returns `<file>: <error>` for each history that does not replay. */
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

describe('stored history corpus', () => {
  it('holds a history of every kind of round', () => {
    expect(files).toEqual(
      Object.keys(KINDS)
        .map((kind) => `${kind}.json`)
        .sort(),
    );
  });

  it('replays every stored history on this code', async () => {
    const failures = await replayCorpus(workflowBundle());
    expect(
      failures,
      `\n${failures.join('\n')}\nA change broke the replay of stored rounds: guard it with patched() (README, "Upgrading").`,
    ).toEqual([]);
  });

  it('fails, naming the history and the command, when workflow code changes without patched()', async () => {
    const failures = await replayCorpus(await bundleWithGate('./unpatched-gate.ts'));
    const gated = ['approved', 'cancelled', 'expired', 'outcome-unknown', 'rejected', 'siblings', 'slack-card'];
    expect(failures.map((failure) => failure.split(':')[0]).sort()).toEqual(gated.map((kind) => `${kind}.json`));
    for (const failure of failures)
      expect(failure).toMatch(
        /\.json: .*Nondeterminism error: .* does not handle this event: HistoryEvent\(id: \d+, \w+\)/,
      );
  });
});
