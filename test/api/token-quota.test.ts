// LLM token quotas per principal and period, counted from the usage rounds publish (ToolgateTokens): a round
// carries the quota it starts under; once a principal's rounds used it, POST /v1/rounds answers 429 until the
// period resets, GET /v1/quota shows nothing left, other principals are unaffected, and a new API instance
// (a restart) counts the same.
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LimitsConfig } from '../../runtime/config.ts';
import type { QueryRoundInput } from '../../workflows/contract.ts';
import { startApi, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';

/** Fewer tokens than one scripted round's prompt (about a quarter of its characters). */
const CAROL_TOKENS = 5;

describe('token quota', () => {
  let harness: Harness;
  let api: ApiHarness;

  function apiWith(limits: Partial<LimitsConfig> = {}): Promise<ApiHarness> {
    return startApi({
      client: harness.client,
      config: {
        ...harness.config,
        limits: {
          ...harness.config.limits,
          tokens: { period: 'day', perPrincipal: 1_000_000, principals: { carol: CAROL_TOKENS } },
          ...limits,
        },
      },
    });
  }

  async function answeredRound(on: ApiHarness, person: Person, marker: string): Promise<string> {
    harness.routes[marker] = scriptedSteps({ content: `answer ${marker}` });
    const response = await on.request(person, 'POST', '/v1/rounds', { query: marker });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    harness.roundIds.push(response.body.roundId);
    return response.body.roundId as string;
  }

  async function inputOf(roundId: string): Promise<QueryRoundInput> {
    const history = await harness.client.workflow.getHandle(roundId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    return defaultPayloadConverter.fromPayload<QueryRoundInput>(payload!);
  }

  function endOfUtcDay(): string {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
  }

  beforeAll(async () => {
    harness = await startHarness({ servers: [] });
    api = await apiWith();
  });

  afterAll(async () => {
    await api?.close();
    await harness?.close();
  });

  it('refuses a principal whose rounds used its quota until the period resets, while others start rounds', async () => {
    const first = await answeredRound(api, 'carol', 'tq-first');
    expect((await inputOf(first)).quota).toEqual({
      period: 'day',
      limit: CAROL_TOKENS,
      remaining: CAROL_TOKENS,
      resetsAt: endOfUtcDay(),
    });
    await harness.client.workflow.getHandle(first).result();

    let quota: any;
    await expect
      .poll(async () => (quota = (await api.request('carol', 'GET', '/v1/quota')).body).tokens.remaining, {
        timeout: 20_000,
      })
      .toBe(0);
    expect(quota.tokens).toMatchObject({ period: 'day', limit: CAROL_TOKENS, resetsAt: endOfUtcDay() });
    expect(quota.tokens.used).toBeGreaterThan(CAROL_TOKENS);

    const asked = harness.llm.requests.length;
    const refused = await api.request('carol', 'POST', '/v1/rounds', { query: 'tq-refused' });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: 'token_quota_exhausted',
      quota: { limit: CAROL_TOKENS, remaining: 0, resetsAt: endOfUtcDay() },
    });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil((Date.parse(endOfUtcDay()) - Date.now()) / 1000) + 1);
    expect(harness.llm.requests.length).toBe(asked);

    const other = await answeredRound(api, 'bob', 'tq-bob');
    expect((await inputOf(other)).quota).toMatchObject({ limit: 1_000_000 });
    expect((await inputOf(other)).quota!.remaining).toBeGreaterThan(0);
    await harness.client.workflow.getHandle(other).result();

    const metrics = (await api.request(undefined, 'GET', '/metrics')).body as string;
    expect(metrics).toContain('toolgate_api_rounds_refused_total{reason="tokens",principal="carol"} 1');
    expect(metrics).toContain('toolgate_api_tokens_remaining{principal="carol"} 0');
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });

  it('holds for a new API instance, and limits.enabled: false starts the round without a quota', async () => {
    const restarted = await apiWith();
    try {
      expect((await restarted.request('carol', 'GET', '/v1/quota')).body.tokens.remaining).toBe(0);
      expect((await restarted.request('carol', 'POST', '/v1/rounds', { query: 'tq-again' })).status).toBe(429);
    } finally {
      await restarted.close();
    }

    const unlimited = await apiWith({ enabled: false });
    try {
      const roundId = await answeredRound(unlimited, 'carol', 'tq-off');
      expect((await inputOf(roundId)).quota).toBeUndefined();
      await harness.client.workflow.getHandle(roundId).result();
    } finally {
      await unlimited.close();
    }
  });
});
