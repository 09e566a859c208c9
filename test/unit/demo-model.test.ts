import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODEL_NAME, startDemoModel } from '../../demo/demo-model.ts';
import type { DemoModel } from '../../demo/demo-model.ts';

const tools: ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'everything__echo',
      description: 'Echoes back the input',
      parameters: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'add',
      parameters: {
        type: 'object',
        properties: { a: { type: 'number' }, b: { type: 'number' } },
        required: ['a', 'b'],
      },
    },
  },
];

let model: DemoModel;
let client: OpenAI;
const logged: string[] = [];

beforeAll(async () => {
  model = await startDemoModel({ log: (line) => logged.push(line) });
  client = new OpenAI({ baseURL: model.baseURL, apiKey: 'demo', maxRetries: 0 });
});

afterAll(async () => {
  await model?.close();
});

describe('demo model server', () => {
  it('says where it listens and what it is', () => {
    expect(model.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(logged).toEqual([`demo model listening on ${model.baseURL} (rule-based planner, not an AI)`]);
  });

  it('lists the demo model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([DEMO_MODEL_NAME]);
  });

  it('plans tool calls, then summarizes their results', async () => {
    const messages: ChatCompletionMessageParam[] = [
      { role: 'user', content: 'use echo with hello world and use add with a 2 b 3' },
    ];
    const first = await client.chat.completions.create({
      model: DEMO_MODEL_NAME,
      messages,
      tools,
      tool_choice: 'auto',
    });
    const choice = first.choices[0]!;
    expect(first.object).toBe('chat.completion');
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const calls = choice.message.tool_calls ?? [];
    expect(calls.map((call) => (call.type === 'function' ? call.function : undefined))).toEqual([
      { name: 'everything__echo', arguments: '{"message":"hello world"}' },
      { name: 'add', arguments: '{"a":2,"b":3}' },
    ]);
    const ids = calls.map((call) => call.id);
    expect(new Set(ids).size).toBe(2);
    expect(first.usage?.total_tokens).toBeGreaterThan(0);

    messages.push(
      { role: 'assistant', content: null, tool_calls: calls },
      { role: 'tool', tool_call_id: ids[0]!, content: 'Echo: hello world' },
      { role: 'tool', tool_call_id: ids[1]!, content: 'The sum of 2 and 3 is 5.' },
    );
    const second = await client.chat.completions.create({
      model: DEMO_MODEL_NAME,
      messages,
      tools,
      tool_choice: 'none',
    });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.tool_calls).toBeUndefined();
    expect(second.choices[0]?.message.content).toBe(
      '[demo model] everything__echo returned: Echo: hello world\n[demo model] add returned: The sum of 2 and 3 is 5.',
    );
  });

  it('answers with its help text when no tool is named', async () => {
    const reply = await client.chat.completions.create({
      model: DEMO_MODEL_NAME,
      messages: [{ role: 'user', content: 'hi' }],
      tools,
    });
    expect(reply.choices[0]?.finish_reason).toBe('stop');
    expect(reply.choices[0]?.message.content).toContain('rule-based planner, not an AI');
    expect(reply.choices[0]?.message.content).toContain('"use everything__echo with hello"');
  });

  it('streams tool calls', async () => {
    const stream = await client.chat.completions.create({
      model: DEMO_MODEL_NAME,
      messages: [{ role: 'user', content: 'call add with {"a":1,"b":2}' }],
      tools,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls']);
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    // As OpenAI sends them: opened with id and name, the arguments in fragments.
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'add', arguments: '' } });
    expect(calls.map((call) => call.function?.arguments).join('')).toBe('{"a":1,"b":2}');
    expect(chunks.at(-1)?.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('streams text that the SDK stream helper assembles', async () => {
    const runner = client.chat.completions.stream({
      model: DEMO_MODEL_NAME,
      messages: [{ role: 'user', content: 'hello?' }],
      tools,
    });
    const completion = await runner.finalChatCompletion();
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.choices[0]?.message.content).toMatch(/^\[demo model\] I am toolgate's built-in demo model/);

    const toolRunner = client.chat.completions.stream({
      model: DEMO_MODEL_NAME,
      messages: [{ role: 'user', content: 'use add with 4 5' }],
      tools,
    });
    const toolCompletion = await toolRunner.finalChatCompletion();
    expect(toolCompletion.choices[0]?.message.tool_calls).toMatchObject([
      { type: 'function', function: { name: 'add', arguments: '{"a":4,"b":5}' } },
    ]);
  });

  it('streams its answer in several paced pieces of whole words, as a model writes', async () => {
    const stream = await client.chat.completions.create({
      model: DEMO_MODEL_NAME,
      messages: [{ role: 'user', content: 'hello?' }],
      tools,
      stream: true,
    });
    const pieces: Array<{ text: string; at: number }> = [];
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta.content;
      if (text) pieces.push({ text, at: performance.now() });
    }
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.map((piece) => piece.text).join('')).toMatch(/^\[demo model\] I am toolgate's built-in demo model/);
    expect(pieces.slice(0, -1).every((piece) => /\s$/.test(piece.text))).toBe(true);
    // Paced: the pieces arrive over time, not in one burst.
    expect(pieces.at(-1)!.at - pieces[0]!.at).toBeGreaterThan(20 * (pieces.length - 1));
  });

  it('rejects bad requests with an OpenAI-style 400', async () => {
    const missing = await client.chat.completions
      .create({ model: DEMO_MODEL_NAME, messages: [] })
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.APIError);
    expect(missing).toMatchObject({ status: 400, type: 'invalid_request_error', code: 'missing_required_parameter' });

    const response = await fetch(`${model.baseURL}/chat/completions`, {
      method: 'POST',
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json' } });
  });

  it('answers unknown paths with a JSON 404', async () => {
    const response = await fetch(`${model.baseURL}/embeddings`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
