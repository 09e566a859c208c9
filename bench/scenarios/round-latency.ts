// Scenario 1: sequential rounds of the three-step shape (6 read-only tool calls), LLM latency 0 and 50 ms.
import { randomUUID } from 'node:crypto';
import { historyCosts, type HistoryCosts } from '../history-costs.ts';
import { SHAPES, queryFor } from '../llm-script.ts';
import { REQUESTER, trimLlmLog, type BenchEnv } from '../setup.ts';
import { round2, summarize, type Summary } from '../stats.ts';
import { sleep } from '../system.ts';

export interface RoundLatencyResult {
  llmDelayMs: number;
  rounds: number;
  baseline: Summary;
  toolgate: Summary;
  /** The same rounds on a worker exporting its spans over OTLP/HTTP (protobuf) to a local sink. */
  traced: Summary;
  /** Traced above untraced at p50, as a fraction. */
  tracingOverheadP50: number;
  /** Bare Temporal of the same shape (bench/bare): the engine's floor. */
  bare: Summary;
  /** toolgate above bare Temporal at p50, as a fraction (0.1 = 10 % more). */
  aboveBareP50: number;
  /** (toolgate − baseline) / tool calls, from the medians and from the means. */
  overheadPerToolCallMs: { p50: number; mean: number };
  /** The worker's own cost from the measured rounds' histories: toolgate (`callTool`) beside bare (`noop`). */
  historyCosts: { toolgate: HistoryCosts; bare: HistoryCosts };
}

const GAP_MS = 5;

export async function roundLatency(
  env: BenchEnv,
  settings: { rounds: number; warmup: number; delays: number[] },
): Promise<RoundLatencyResult[]> {
  const toolCalls = SHAPES['three-step'].toolCalls;
  const results: RoundLatencyResult[] = [];
  for (const delay of settings.delays) {
    env.model.delayMs = delay;
    const baseline: number[] = [];
    const toolgate: number[] = [];
    const traced: number[] = [];
    const bare: number[] = [];
    const toolSteps = [2, 2, 2];
    const toolgateIds: string[] = [];
    const bareIds: string[] = [];
    // Alternate the systems round by round so that any drift of the machine hits both alike.
    for (let i = 0; i < settings.warmup + settings.rounds; i++) {
      const roundId = `baseline-${randomUUID()}`;
      let started = performance.now();
      const answer = await env.baseline.runRound(roundId, {
        query: queryFor('three-step', roundId),
        requester: REQUESTER,
      });
      if (answer.toolCalls !== toolCalls) throw new Error(`baseline round made ${answer.toolCalls} tool calls`);
      if (i >= settings.warmup) baseline.push(performance.now() - started);
      await sleep(GAP_MS);

      started = performance.now();
      const handle = await env.startRound('three-step');
      const result = await handle.result();
      if (result.toolCalls.length !== toolCalls)
        throw new Error(`toolgate round made ${result.toolCalls.length} tool calls`);
      if (i >= settings.warmup) {
        toolgate.push(performance.now() - started);
        toolgateIds.push(handle.workflowId);
      }
      await sleep(GAP_MS);

      started = performance.now();
      const tracedResult = await (await env.startRound('three-step', true)).result();
      if (tracedResult.toolCalls.length !== toolCalls)
        throw new Error(`traced toolgate round made ${tracedResult.toolCalls.length} tool calls`);
      if (i >= settings.warmup) traced.push(performance.now() - started);
      await sleep(GAP_MS);

      const bareId = `bare-${randomUUID()}`;
      started = performance.now();
      if ((await env.runBareRound(toolSteps, delay, bareId)) !== toolCalls)
        throw new Error('bare round made other calls');
      if (i >= settings.warmup) {
        bare.push(performance.now() - started);
        bareIds.push(bareId);
      }
      await sleep(GAP_MS);
      if (i % 20 === 19)
        process.stderr.write(`  round latency, LLM ${delay} ms: ${i + 1}/${settings.warmup + settings.rounds}\n`);
    }
    trimLlmLog(env);
    const b = summarize(baseline);
    const t = summarize(toolgate);
    const floor = summarize(bare);
    const withSpans = summarize(traced);
    results.push({
      llmDelayMs: delay,
      rounds: settings.rounds,
      baseline: b,
      toolgate: t,
      traced: withSpans,
      tracingOverheadP50: round2(withSpans.p50 / t.p50 - 1),
      bare: floor,
      aboveBareP50: round2(t.p50 / floor.p50 - 1),
      overheadPerToolCallMs: { p50: round2((t.p50 - b.p50) / toolCalls), mean: round2((t.mean - b.mean) / toolCalls) },
      historyCosts: {
        toolgate: await historyCosts(env.client, toolgateIds, 'callTool'),
        bare: await historyCosts(env.client, bareIds, 'noop'),
      },
    });
  }
  env.model.delayMs = 0;
  return results;
}
