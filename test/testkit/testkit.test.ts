import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  firstUserMessage,
  lastToolMessages,
  routeByMarker,
  scriptedSteps,
  startScriptedLlmServer,
} from '../../testkit/scripted-llm-server.ts';
import type { ScriptedLlmServer } from '../../testkit/scripted-llm-server.ts';
import { startHttpMcpServer } from '../../testkit/mcp-test-server.ts';
import type { HttpMcpServer, RecordedToolCall } from '../../testkit/mcp-test-server.ts';

describe('scripted LLM server with the openai client', () => {
  let llm: ScriptedLlmServer;
  let openai: OpenAI;

  beforeAll(async () => {
    llm = await startScriptedLlmServer(
      routeByMarker({
        '[tool-round]': scriptedSteps(
          { toolCalls: [{ name: 'echo', arguments: { message: 'hi' } }] },
          { content: 'done' },
        ),
        '[rate-limited]': () => ({ status: 429, headers: { 'retry-after': '1' } }),
        '[bad-request]': () => ({
          status: 400,
          body: { error: { message: 'bad tools', type: 'invalid_request_error', code: 'invalid_tools' } },
        }),
        '[slow]': () => ({ delayMs: 50, then: { content: 'late' } }),
        '[stream]': () => ({ content: 'streamed', toolCalls: [{ name: 'add', arguments: '{"a":1,"b":2}' }] }),
        '[paced]': () => ({
          content: 'one two three',
          chunks: ['one ', 'two ', 'three'],
          chunkDelayMs: 40,
          reasoning: 'think first',
          toolCalls: [{ name: 'echo', arguments: { message: 'a fairly long message to fragment' }, id: 'call_x' }],
        }),
        '[broken]': () => ({ content: 'abcdef', chunks: 3, breakAfter: 2 }),
      }),
    );
    openai = new OpenAI({ baseURL: llm.baseURL, apiKey: 'test', maxRetries: 0 });
  });
  afterAll(() => llm.close());

  it('returns a tool call, then text after the tool result', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'go [tool-round]' }];
    const first = await openai.chat.completions.create({ model: 'm', messages });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls![0]!;
    expect(call.id).toMatch(/^call_\d+$/);
    expect(call.type === 'function' && call.function).toEqual({ name: 'echo', arguments: '{"message":"hi"}' });
    expect(first.usage?.total_tokens).toBeGreaterThan(0);

    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: 'echo: hi' });
    const second = await openai.chat.completions.create({ model: 'm', messages });
    expect(second.choices[0]!.message.content).toBe('done');
    expect(second.choices[0]!.finish_reason).toBe('stop');

    const recorded = llm.requests.at(-1)!;
    expect(firstUserMessage(recorded)).toBe('go [tool-round]');
    expect(lastToolMessages(recorded)).toEqual([{ role: 'tool', tool_call_id: call.id, content: 'echo: hi' }]);
    expect(recorded.headers['authorization']).toBe('Bearer test');
  });

  it('surfaces a 429 with retry-after', async () => {
    const error = await openai.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: '[rate-limited]' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(429);
    expect(apiError.headers?.get('retry-after')).toBe('1');
  });

  it('surfaces an OpenAI-style 400 error body', async () => {
    const error = await openai.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: '[bad-request]' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_tools', type: 'invalid_request_error' });
    expect((error as Error).message).toContain('bad tools');
  });

  it('delays a reply', async () => {
    const started = Date.now();
    const reply = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '[slow]' }] });
    expect(reply.choices[0]!.message.content).toBe('late');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('streams content and tool calls', async () => {
    const stream = await openai.chat.completions.create({
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: '[stream]' }],
    });
    let content = '';
    let args = '';
    let finish: string | null = null;
    let usage = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      content += choice?.delta.content ?? '';
      args += choice?.delta.tool_calls?.[0]?.function?.arguments ?? '';
      finish = choice?.finish_reason ?? finish;
      usage = chunk.usage?.total_tokens ?? usage;
    }
    expect({ content, args, finish }).toEqual({ content: 'streamed', args: '{"a":1,"b":2}', finish: 'tool_calls' });
    expect(usage).toBeGreaterThan(0);
  });

  it('streams paced chunks, reasoning and fragmented tool calls in OpenAI wire format, recording when each was sent', async () => {
    const response = await openai.chat.completions
      .create({
        model: 'm',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: '[paced]' }],
      })
      .asResponse();
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const lines = (await response.text()).split('\n\n').filter(Boolean);
    expect(lines.at(-1)).toBe('data: [DONE]');
    const chunks = lines.slice(0, -1).map((line) => {
      expect(line.startsWith('data: ')).toBe(true);
      return JSON.parse(line.slice(6)) as OpenAI.ChatCompletionChunk;
    });
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta));
    expect(deltas.flatMap((delta) => delta.content ?? [])).toEqual(['', 'one ', 'two ', 'three']);
    const reasoning = deltas.flatMap((delta) => (delta as { reasoning_content?: string }).reasoning_content ?? []);
    expect(reasoning).toEqual(['think first']);
    const calls = deltas.flatMap((delta) => delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: 'call_x', type: 'function', function: { name: 'echo' } });
    expect(calls.length).toBeGreaterThan(2); // arguments arrive in fragments
    expect(calls.map((call) => call.function?.arguments ?? '').join('')).toBe(
      '{"message":"a fairly long message to fragment"}',
    );
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) as number } });

    const times = llm.requests.at(-1)!.chunkTimes;
    expect(times).toHaveLength(3);
    expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(75);
  });

  it('reassembles a paced stream through the openai client; non-streaming gets the same reply as JSON', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: '[paced]' }];
    const stream = await openai.chat.completions.create({ model: 'm', stream: true, messages });
    const arrivals: Array<{ text: string; at: number }> = [];
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) arrivals.push({ text: choice.delta.content, at: Date.now() });
      args += choice?.delta.tool_calls?.[0]?.function?.arguments ?? '';
      finish = choice?.finish_reason ?? finish;
      expect(chunk.usage ?? undefined).toBeUndefined(); // usage only when asked for
    }
    expect(arrivals.map((arrival) => arrival.text)).toEqual(['one ', 'two ', 'three']);
    // Each chunk reaches the client as it is sent, not at the end.
    expect(arrivals[2]!.at - arrivals[0]!.at).toBeGreaterThanOrEqual(75);
    expect({ args: JSON.parse(args) as unknown, finish }).toEqual({
      args: { message: 'a fairly long message to fragment' },
      finish: 'tool_calls',
    });

    const whole = await openai.chat.completions.create({ model: 'm', messages });
    expect(whole.choices[0]!.message).toMatchObject({ content: 'one two three', reasoning_content: 'think first' });
    expect(llm.requests.at(-1)!.chunkTimes).toEqual([]);
  });

  it('breaks a stream mid-way: the client gets the first chunks, then an error', async () => {
    const stream = await openai.chat.completions.create({
      model: 'm',
      stream: true,
      messages: [{ role: 'user', content: '[broken]' }],
    });
    const received: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(received.join('')).toBe('abcd');
  });

  it('lists models and 404s unknown paths', async () => {
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['scripted-model']);
    const response = await fetch(llm.baseURL.replace('/v1', '/nope'));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('answers 500 when no route matches', async () => {
    const error = await openai.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'no marker here' }] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 500 });
  });
});

describe('MCP test server over Streamable HTTP', () => {
  let mcp: HttpMcpServer;
  let client: Client;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'http-test' });
    client = new Client({ name: 'support-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url)));
  });
  afterAll(async () => {
    await client.close();
    await mcp.close();
  });

  it('lists tools with annotations', async () => {
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(Object.keys(byName).sort()).toEqual([
      'add',
      'big_output',
      'crash',
      'delete_pod',
      'echo',
      'fail',
      'fetch_url',
      'read_record',
      'scale_deployment',
      'slow',
      'slow_read',
      'strict_echo',
      'write_file',
      'write_record',
    ]);
    expect(byName.echo!.annotations).toEqual({ readOnlyHint: true, openWorldHint: false });
    expect(byName.fetch_url!.annotations).toEqual({ readOnlyHint: true });
    expect(byName.delete_pod!.annotations).toEqual({ destructiveHint: true, readOnlyHint: false });
    expect(byName.scale_deployment!.annotations).toEqual({ idempotentHint: true, destructiveHint: false });
    expect(byName.echo!.inputSchema).toMatchObject({ type: 'object', required: ['message'] });
  });

  it('takes effect, then breaks the exchange: a reset, a 502, or a real JSON-RPC invalid-params error', async () => {
    const before = mcp.calls.length;
    await expect(
      client.callTool({ name: 'write_record', arguments: { key: 'k-reset', fault: 'reset' } }),
    ).rejects.toThrow(/fetch failed/);
    await expect(
      client.callTool({ name: 'write_record', arguments: { key: 'k-502', fault: '502' } }),
    ).rejects.toMatchObject({ code: 502 });
    expect(mcp.calls.slice(before).map((call) => call.arguments.key)).toEqual(['k-reset', 'k-502']);
    const refused = await client
      .callTool({ name: 'strict_echo', arguments: { message: 'reject' } })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: -32602 });
    expect(await client.callTool({ name: 'write_record', arguments: { key: 'k-ok' } })).toMatchObject({
      content: [{ text: 'write_record k-ok' }],
    });
  });

  it('calls echo and records the call with its _meta', async () => {
    const result = await client.callTool({
      name: 'echo',
      arguments: { message: 'hello' },
      _meta: { toolgate: { roundId: 'r1', callId: 'c1' } },
    });
    expect(result.content).toEqual([{ type: 'text', text: 'echo: hello' }]);
    expect(mcp.calls.at(-1)).toMatchObject({
      server: 'http-test',
      tool: 'echo',
      arguments: { message: 'hello' },
      meta: { toolgate: { roundId: 'r1', callId: 'c1' } },
    });
  });

  it('returns structuredContent from add and exact-length big_output', async () => {
    const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(sum.structuredContent).toEqual({ sum: 5 });
    expect(sum.content).toEqual([{ type: 'text', text: '5' }]);
    const big = await client.callTool({ name: 'big_output', arguments: { chars: 1234 } });
    const text = (big.content as Array<{ text: string }>)[0]!.text;
    expect(text).toHaveLength(1234);
    expect(text.startsWith('line 1\nline 2\n')).toBe(true);
  });

  it('returns isError from fail', async () => {
    const result = await client.callTool({ name: 'fail', arguments: { reason: 'boom' } });
    expect(result).toMatchObject({ isError: true, content: [{ type: 'text', text: 'boom' }] });
  });

  // McpServer answers these as isError results, not as JSON-RPC errors.
  it('answers unknown tools and invalid params with isError results carrying -32602', async () => {
    const before = mcp.calls.length;
    const unknown = await client.callTool({ name: 'nope', arguments: {} });
    expect(unknown).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: 'MCP error -32602: Tool nope not found' }],
    });
    const invalid = await client.callTool({ name: 'echo', arguments: { message: 42 } });
    expect(invalid.isError).toBe(true);
    expect((invalid.content as Array<{ text: string }>)[0]!.text).toMatch(/^MCP error -32602: Input validation error/);
    expect(mcp.calls.length).toBe(before);
  });

  it('records a call that times out on the client', async () => {
    await expect(
      client.callTool({ name: 'slow', arguments: { ms: 5000 } }, undefined, { timeout: 100 }),
    ).rejects.toMatchObject({ code: -32001 });
    expect(mcp.calls.at(-1)).toMatchObject({ tool: 'slow', arguments: { ms: 5000 } });
  });
});

describe('MCP HTTP server failWith', () => {
  it('answers every POST with the scripted status and retry-after', async () => {
    let status: number | undefined = 503;
    const mcp = await startHttpMcpServer({ name: 'flaky', failWith: () => status });
    try {
      const response = await fetch(mcp.url, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');

      const failing = new Client({ name: 'support-test', version: '1.0.0' });
      await expect(failing.connect(new StreamableHTTPClientTransport(new URL(mcp.url)))).rejects.toMatchObject({
        code: 503,
      });

      status = undefined;
      const client = new Client({ name: 'support-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url)));
      const result = await client.callTool({ name: 'echo', arguments: { message: 'recovered' } });
      expect(result.content).toEqual([{ type: 'text', text: 'echo: recovered' }]);
      await client.close();
    } finally {
      await mcp.close();
    }
  });
});

describe('MCP test server over stdio', () => {
  it('calls echo and appends the call to MCP_CALL_LOG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-stdio-'));
    const callLog = join(dir, 'calls.jsonl');
    const client = new Client({ name: 'support-test', version: '1.0.0' });
    try {
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: ['testkit/mcp-stdio-server.ts'],
          env: { ...getDefaultEnvironment(), MCP_SERVER_NAME: 'stdio-a', MCP_CALL_LOG: callLog },
        }),
      );
      const result = await client.callTool({
        name: 'echo',
        arguments: { message: 'via stdio' },
        _meta: { toolgate: { roundId: 'r1', callId: 'c1' } },
      });
      expect(result.content).toEqual([{ type: 'text', text: 'echo: via stdio' }]);

      const lines = readFileSync(callLog, 'utf8').trim().split('\n');
      const recorded = lines.map((line) => JSON.parse(line) as RecordedToolCall);
      expect(recorded).toHaveLength(1);
      expect(recorded[0]).toMatchObject({
        server: 'stdio-a',
        tool: 'echo',
        arguments: { message: 'via stdio' },
        meta: { toolgate: { roundId: 'r1', callId: 'c1' } },
      });
    } finally {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
