import { describe, expect, it } from 'vitest';
import { planReply } from '../../demo/demo-planner.ts';
import type { PlannerMessage, PlannerTool, PlanRequest } from '../../demo/demo-planner.ts';

function tool(name: string, properties: Record<string, { type: string }>, required: string[]): PlannerTool {
  return {
    type: 'function',
    function: { name, description: `${name} tool`, parameters: { type: 'object', properties, required } },
  };
}

const echo = tool('echo', { message: { type: 'string' } }, ['message']);
const add = tool('add', { a: { type: 'number' }, b: { type: 'number' } }, ['a', 'b']);
const readTextFile = tool(
  'read_text_file',
  { path: { type: 'string' }, head: { type: 'number' }, tail: { type: 'number' } },
  ['path'],
);
const writeFile = tool('write_file', { path: { type: 'string' }, content: { type: 'string' } }, ['path', 'content']);
const moveFile = tool('move_file', { source: { type: 'string' }, destination: { type: 'string' } }, [
  'source',
  'destination',
]);
const tools = [echo, add, readTextFile, writeFile, moveFile];

function plan(text: string, options: Partial<PlanRequest> = {}) {
  return planReply({ messages: [{ role: 'user', content: text }], tools, ...options });
}

/** The planned calls with their arguments parsed, for readable expectations. */
function calls(text: string, options: Partial<PlanRequest> = {}) {
  const reply = plan(text, options);
  return reply.toolCalls.map((call) => ({ name: call.name, args: JSON.parse(call.arguments) as unknown }));
}

describe('demo planner: naming tools', () => {
  it('plans several calls joined by and / then / commas', () => {
    expect(calls('use echo with message hello and use add with a 2 b 3')).toEqual([
      { name: 'echo', args: { message: 'hello' } },
      { name: 'add', args: { a: 2, b: 3 } },
    ]);
    expect(calls('Call echo with hi, then run add with a=1 b=2, use echo with bye')).toEqual([
      { name: 'echo', args: { message: 'hi' } },
      { name: 'add', args: { a: 1, b: 2 } },
      { name: 'echo', args: { message: 'bye' } },
    ]);
  });

  it('answers a tool call with no text content', () => {
    expect(plan('use echo with hello')).toEqual({
      content: null,
      toolCalls: [{ name: 'echo', arguments: '{"message":"hello"}' }],
    });
  });

  it('matches names exactly, after a server qualifier, and with - and _ interchangeable', () => {
    const qualified = [tool('fs__read_file', { path: { type: 'string' } }, ['path']), echo];
    expect(calls('use read_file with notes.txt', { tools: qualified })).toEqual([
      { name: 'fs__read_file', args: { path: 'notes.txt' } },
    ]);
    expect(calls('use fs__read_file with notes.txt', { tools: qualified })).toEqual([
      { name: 'fs__read_file', args: { path: 'notes.txt' } },
    ]);
    expect(calls('use read-text-file with path notes.txt')).toEqual([
      { name: 'read_text_file', args: { path: 'notes.txt' } },
    ]);
    expect(calls('USE `move-file` WITH source a.txt destination b.txt')).toEqual([
      { name: 'move_file', args: { source: 'a.txt', destination: 'b.txt' } },
    ]);
  });

  it('prefers an exact name over a qualified one', () => {
    const both = [tool('a__echo', { message: { type: 'string' } }, ['message']), echo];
    expect(calls('use echo with hi', { tools: both })).toEqual([{ name: 'echo', args: { message: 'hi' } }]);
  });

  it('ignores verbs that are not followed by an offered tool', () => {
    expect(calls('please run the tests, then use echo with done')).toEqual([
      { name: 'echo', args: { message: 'done' } },
    ]);
  });

  it('only calls the tool that tool_choice forces', () => {
    const forced = { type: 'function', function: { name: 'add' } };
    expect(calls('use echo with hi and use add with a 1 b 2', { tool_choice: forced })).toEqual([
      { name: 'add', args: { a: 1, b: 2 } },
    ]);
  });
});

describe('demo planner: arguments', () => {
  it('takes a JSON object as is', () => {
    expect(calls('use add with {"a": 2, "b": 3}')).toEqual([{ name: 'add', args: { a: 2, b: 3 } }]);
    expect(calls('use write_file with {"path":"x.txt","content":"use echo with nested and more"}')).toEqual([
      { name: 'write_file', args: { path: 'x.txt', content: 'use echo with nested and more' } },
    ]);
  });

  it('reads key value, key=value and key: value pairs of schema properties', () => {
    expect(calls('use add with a 2 b 3')).toEqual([{ name: 'add', args: { a: 2, b: 3 } }]);
    expect(calls('use add with a=2, b=-3.5')).toEqual([{ name: 'add', args: { a: 2, b: -3.5 } }]);
    expect(calls('use add with a: 2 and b: 3')).toEqual([{ name: 'add', args: { a: 2, b: 3 } }]);
    expect(calls('use read_text_file with path notes.txt head 5')).toEqual([
      { name: 'read_text_file', args: { path: 'notes.txt', head: 5 } },
    ]);
  });

  it('runs a bare value to the next known key and keeps dotted paths whole', () => {
    expect(calls('use write_file with path notes/today.txt content buy milk and eggs')).toEqual([
      { name: 'write_file', args: { path: 'notes/today.txt', content: 'buy milk and eggs' } },
    ]);
    expect(calls('use move_file with source notes.txt destination archive/notes.old.txt.')).toEqual([
      { name: 'move_file', args: { source: 'notes.txt', destination: 'archive/notes.old.txt' } },
    ]);
  });

  it('uses each key once, so a later mention stays in the value', () => {
    expect(calls('use write_file with path a.txt content the path is a.txt')).toEqual([
      { name: 'write_file', args: { path: 'a.txt', content: 'the path is a.txt' } },
    ]);
  });

  it('keeps quoted values whole, including joiners and verbs inside them', () => {
    expect(calls('use write_file with path "my notes.txt" content "one, two and use echo with three"')).toEqual([
      { name: 'write_file', args: { path: 'my notes.txt', content: 'one, two and use echo with three' } },
    ]);
    expect(calls("use echo with message 'don't split me'")).toEqual([
      { name: 'echo', args: { message: "don't split me" } },
    ]);
    expect(calls('use echo with message="two words"')).toEqual([{ name: 'echo', args: { message: 'two words' } }]);
  });

  it('keeps strings as strings and reads numbers and booleans for untyped properties', () => {
    const loose = tool('set', { key: { type: 'string' }, value: {} as { type: string } }, ['key', 'value']);
    expect(calls('use set with key 42 value 42', { tools: [loose] })).toEqual([
      { name: 'set', args: { key: '42', value: 42 } },
    ]);
    expect(calls('use set with key on value true', { tools: [loose] })).toEqual([
      { name: 'set', args: { key: 'on', value: true } },
    ]);
    expect(calls('use set with key on value "true"', { tools: [loose] })).toEqual([
      { name: 'set', args: { key: 'on', value: 'true' } },
    ]);
  });

  it('gives the whole text to the single string property when no key is named', () => {
    expect(calls('use echo with hello world')).toEqual([{ name: 'echo', args: { message: 'hello world' } }]);
    expect(calls('use echo with "hello world."')).toEqual([{ name: 'echo', args: { message: 'hello world.' } }]);
    expect(calls('use read_text_file with notes.txt')).toEqual([
      { name: 'read_text_file', args: { path: 'notes.txt' } },
    ]);
    expect(calls('Please use read_text_file with notes.txt.')).toEqual([
      { name: 'read_text_file', args: { path: 'notes.txt' } },
    ]);
  });

  it('fills required properties in order when no key is named', () => {
    expect(calls('use add with 2 3')).toEqual([{ name: 'add', args: { a: 2, b: 3 } }]);
    expect(calls('use move_file with a.txt archive/a.txt')).toEqual([
      { name: 'move_file', args: { source: 'a.txt', destination: 'archive/a.txt' } },
    ]);
    expect(calls('use write_file with notes.txt hello there')).toEqual([
      { name: 'write_file', args: { path: 'notes.txt', content: 'hello there' } },
    ]);
  });

  it('sends empty arguments when there are none to read, leaving validation to the tool', () => {
    expect(calls('use echo')).toEqual([{ name: 'echo', args: {} }]);
    expect(calls('use add with 2')).toEqual([{ name: 'add', args: {} }]);
  });

  it('is deterministic', () => {
    const request: PlanRequest = {
      messages: [{ role: 'user', content: 'use echo with a and use add with 1 2' }],
      tools,
    };
    expect(planReply(request)).toEqual(planReply(structuredClone(request)));
  });
});

describe('demo planner: text answers', () => {
  const intro = "[demo model] I am toolgate's built-in demo model: a rule-based planner, not an AI.";

  it('explains itself with a working example when no tool is named', () => {
    const reply = plan('What can you do?');
    expect(reply.toolCalls).toEqual([]);
    expect(reply.content).toBe(
      `${intro} Name a tool to call, e.g. "use echo with hello". Tools available: echo, add, read_text_file, write_file, move_file`,
    );
  });

  it('builds the example from the first tool schema, and the example parses back', () => {
    for (const first of tools) {
      const content = planReply({ messages: [{ role: 'user', content: 'hi' }], tools: [first] }).content ?? '';
      const example = /e\.g\. "([^"]+)"/.exec(content)?.[1] ?? '';
      const planned = calls(example, { tools: [first] });
      expect(planned).toHaveLength(1);
      const required = first.function.parameters?.required ?? [];
      expect(Object.keys(planned[0]!.args as object).sort()).toEqual([...required].sort());
    }
    expect(plan('hi', { tools: [add] }).content).toContain('"use add with a 2 b 3"');
  });

  it('does not call tools when tool_choice is none or no tools are offered', () => {
    expect(plan('use echo with hi', { tool_choice: 'none' }).toolCalls).toEqual([]);
    expect(plan('use echo with hi', { tool_choice: 'none' }).content).toContain('Tools available: echo');
    expect(planReply({ messages: [{ role: 'user', content: 'use echo with hi' }] })).toEqual({
      content: `${intro} No tools are offered, so there is nothing to call.`,
      toolCalls: [],
    });
  });

  const conversation: PlannerMessage[] = [
    { role: 'system', content: 'You are helpful.' },
    { role: 'user', content: 'use echo with hi and use read_text_file with notes.txt and use write_file with a.txt b' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'echo', arguments: '{"message":"hi"}' } },
        { id: 'call_2', type: 'function', function: { name: 'read_text_file', arguments: '{"path":"notes.txt"}' } },
        {
          id: 'call_3',
          type: 'function',
          function: { name: 'write_file', arguments: '{"path":"a.txt","content":"b"}' },
        },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: 'Echo: hi' },
    { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'x'.repeat(700) }] },
    { role: 'tool', tool_call_id: 'call_3', content: 'Tool call rejected by alice: not today' },
  ];

  it('summarizes tool results, one per line, quoting rejections the same way', () => {
    const reply = planReply({ messages: conversation, tools });
    expect(reply.toolCalls).toEqual([]);
    expect(reply.content).toBe(
      [
        '[demo model] echo returned: Echo: hi',
        `[demo model] read_text_file returned: ${'x'.repeat(600)}…`,
        '[demo model] write_file returned: Tool call rejected by alice: not today',
      ].join('\n'),
    );
  });

  it('summarizes the results even when the request names tools again or forbids tools', () => {
    expect(planReply({ messages: conversation, tools, tool_choice: 'none' }).content).toMatch(
      /^\[demo model\] echo returned: Echo: hi\n/,
    );
    const later = [...conversation, { role: 'user', content: 'use echo with again' }];
    expect(planReply({ messages: later, tools, tool_choice: 'none' }).content).toMatch(
      /^\[demo model\] echo returned: Echo: hi\n/,
    );
    expect(calls('', { messages: later })).toEqual([{ name: 'echo', args: { message: 'again' } }]);
  });
});
