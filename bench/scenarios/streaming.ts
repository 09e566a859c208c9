// Scenario: live tokens. Rounds whose one LLM call streams its answer (bench:streamed), each followed by an SSE
// client of the API child process as its requester. Every token's time at the client is set against the time the
// scripted model wrote its chunk (same process, same clock): the first token of each round, and every token.
// The model waits before it answers, so the client is connected when the first chunk is written (as with a
// real model, whose first token takes far longer than a connection).
import { randomUUID } from 'node:crypto';
import protos from '@temporalio/proto'; // CommonJS without named exports Node can detect
import { readSse } from '../../runtime/sse.ts';
import { firstUserMessage } from '../../testkit/scripted-llm-server.ts';
import { STREAMED_WORDS, queryFor } from '../llm-script.ts';
import { TOKENS, trimLlmLog, type BenchEnv } from '../setup.ts';
import { summarize, type Summary } from '../stats.ts';

export interface StreamingResult {
  rounds: number;
  tokensPerRound: number;
  /** Client receipt of the first token − the model's write of the first chunk, one sample per round. */
  firstToken: Summary;
  /** The same for every token: what the path worker → API → client adds to each. */
  perToken: Summary;
  /** Rounds whose client got every token, in order, before the durable llm_step. */
  complete: number;
  /** History events and bytes of a streamed round: the text is in it once (the reply), never per token. */
  history: { events: number; bytes: number };
}

const MODEL_WAIT_MS = 300;

interface Received {
  tokens: Array<{ seq: number; text: string; at: number }>;
  beforeStep: boolean;
}

async function follow(env: BenchEnv, roundId: string): Promise<Received> {
  const response = await fetch(`${env.apiUrl}/v1/rounds/${roundId}/events`, {
    headers: { authorization: `Bearer ${TOKENS.carol}`, accept: 'text/event-stream' },
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status !== 200 || !response.body) throw new Error(`event stream answered ${response.status}`);
  const received: Received = { tokens: [], beforeStep: false };
  for await (const message of readSse(response.body)) {
    const at = Date.now();
    if (message.event === 'token') {
      const token = JSON.parse(message.data!) as { seq: number; text: string };
      received.tokens.push({ ...token, at });
    }
    if (message.event === 'llm_step') received.beforeStep = received.tokens.length === STREAMED_WORDS;
    if (message.event === 'round_completed' || message.event === 'round_failed') break;
  }
  return received;
}

export async function streaming(env: BenchEnv, settings: { rounds: number; warmup: number }): Promise<StreamingResult> {
  env.model.delayMs = MODEL_WAIT_MS;
  const first: number[] = [];
  const every: number[] = [];
  let complete = 0;
  let lastRound = '';
  try {
    for (let i = 0; i < settings.warmup + settings.rounds; i++) {
      // Through the API, as a client starts it: the round is readable by its requester from the start.
      const query = queryFor('streamed', randomUUID());
      const started = await fetch(`${env.apiUrl}/v1/rounds`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.carol}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      if (started.status !== 201) throw new Error(`POST /v1/rounds answered ${started.status}`);
      const { roundId } = (await started.json()) as { roundId: string };
      const received = await follow(env, roundId);
      await env.client.workflow.getHandle(roundId).result();
      const request = env.llm.requests.find((entry) => firstUserMessage(entry) === query);
      if (!request) throw new Error(`no LLM request of ${roundId}`);
      lastRound = roundId;
      if (i < settings.warmup) continue;
      const inOrder = received.tokens.every((token, index) => token.seq === index);
      if (inOrder && received.beforeStep) complete++;
      for (const token of received.tokens) {
        const written = request.chunkTimes[token.seq];
        if (written === undefined) continue;
        every.push(token.at - written);
        if (token.seq === 0) first.push(token.at - written);
      }
    }
  } finally {
    env.model.delayMs = 0;
    trimLlmLog(env);
  }
  const history = await env.client.workflow.getHandle(lastRound).fetchHistory();
  return {
    rounds: settings.rounds,
    tokensPerRound: STREAMED_WORDS,
    firstToken: summarize(first),
    perToken: summarize(every),
    complete,
    history: {
      events: history.events?.length ?? 0,
      bytes: protos.temporal.api.history.v1.History.encode(history).finish().length,
    },
  };
}
