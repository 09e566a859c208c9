// What each chaos round does and what the driver decides: random but reproducible from the seed.
// The scripted model reads the plan named in the query (`chaos plan:<n>`) and the step from the number of
// assistant messages, so an LLM call repeated after a worker was killed gets the same answer.
import { firstUserMessage, type LlmReply, type LlmScript } from '../testkit/scripted-llm-server.ts';

export type ToolName = 'echo' | 'slow' | 'slow_read' | 'delete_pod' | 'scale_deployment';
export type Intent = 'approve' | 'reject' | 'expire';

export interface PlannedCall {
  tool: ToolName;
  arguments: Record<string, unknown>;
  /** Only for gated tools: what the driver will do with the approval. */
  intent?: Intent;
}

export interface RoundPlan {
  index: number;
  /** Tool steps; the model answers after the last one. */
  steps: PlannedCall[][];
  llmDelayMs: number;
  /** How the round must end: `failed` when the model refuses to answer after the tool steps (an LLM 400). */
  outcome: 'completed' | 'failed';
}

/** Gated by the config (approval: annotations on a trusted server: not read-only). */
export const GATED: ReadonlySet<ToolName> = new Set(['delete_pod', 'scale_deployment']);
/** Not safe to run twice after an unknown outcome (neither read-only nor idempotent). */
export const NON_IDEMPOTENT: ReadonlySet<ToolName> = new Set(['slow', 'delete_pod']);
/**
 * Read-only from a trusted server, needing no approval: they run as local activities inside the workflow task, so a
 * worker lost mid-task repeats them, and the step's LLM call, whose new reply may name them anew (docs/rounds.md).
 */
export const LOCAL_READS: ReadonlySet<ToolName> = new Set(['echo', 'slow_read']);

/**
 * Every this-many-th plan fails on purpose, so the run shows that a failed round is reported as such and that a
 * failure nobody planned is a violation. Picked by index, not by the seeded generator, so it does not change
 * what a seed plans.
 */
export const PLANNED_FAILURE_EVERY = 20;

/** mulberry32: a small seeded generator, so a failing run can be repeated with --seed. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

export function makePlan(index: number, random: () => number, slowMs: [number, number]): RoundPlan {
  const stepCount = random() < 0.25 ? 2 : 1;
  const steps: PlannedCall[][] = [];
  for (let step = 1; step <= stepCount; step++) {
    const calls: PlannedCall[] = [];
    const count = 1 + Math.floor(random() * 3);
    for (let i = 0; i < count; i++) {
      const tool = pick<ToolName>(random, [
        'echo',
        'slow',
        'slow',
        'slow_read',
        'delete_pod',
        'delete_pod',
        'scale_deployment',
      ]);
      const tag = `r${index}-s${step}-c${i}`;
      const ms = Math.round(slowMs[0] + random() * (slowMs[1] - slowMs[0]));
      const args: Record<string, unknown> =
        tool === 'echo'
          ? { message: tag }
          : tool === 'slow' || tool === 'slow_read'
            ? { ms: ms + i }
            : tool === 'delete_pod'
              ? { namespace: 'chaos', name: tag }
              : { namespace: 'chaos', name: tag, replicas: 1 + i };
      const call: PlannedCall = { tool, arguments: args };
      if (GATED.has(tool)) {
        const roll = random();
        call.intent = roll < 0.6 ? 'approve' : roll < 0.85 ? 'reject' : 'expire';
      }
      calls.push(call);
    }
    steps.push(calls);
  }
  const outcome = index % PLANNED_FAILURE_EVERY === PLANNED_FAILURE_EVERY - 1 ? 'failed' : 'completed';
  return { index, steps, llmDelayMs: Math.floor(random() * 30), outcome };
}

export function queryOf(plan: RoundPlan): string {
  return `chaos plan:${plan.index}`;
}

export function chaosModel(plans: Map<number, RoundPlan>): LlmScript {
  return (request) => {
    const match = /plan:(\d+)/.exec(firstUserMessage(request) ?? '');
    const plan = match ? plans.get(Number(match[1])) : undefined;
    if (!plan) return { status: 400, body: { error: { message: 'unknown chaos plan' } } };
    const step = request.body.messages.filter((message) => message.role === 'assistant').length;
    const calls = plan.steps[step];
    // A 400 is not retried: the round fails once its tool steps are done.
    const reply: LlmReply = calls
      ? { toolCalls: calls.map((call) => ({ name: call.tool, arguments: call.arguments })) }
      : plan.outcome === 'failed'
        ? { status: 400, body: { error: { message: `plan ${plan.index} fails here, as planned` } } }
        : { content: `plan ${plan.index} done` };
    return plan.llmDelayMs > 0 ? { delayMs: plan.llmDelayMs, then: reply } : reply;
  };
}
