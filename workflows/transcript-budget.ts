// The conversation a round carries stays within a character budget, so no LLM input, round result or next
// round's input nears Temporal's payload limit and a round's history grows linearly, not quadratically, with
// its steps. The oldest tool outputs give way first, each replaced by a marker that tells the model what it
// lost and how to get it back.
import type { ChatMessage } from './contract.ts';

export function elidedMarker(chars: number): string {
  return `[tool output elided to keep the conversation within its budget: ${chars} characters; call the tool again if you need it]`;
}

function size(message: ChatMessage): number {
  const calls =
    message.role === 'assistant'
      ? (message.toolCalls ?? []).reduce((sum, call) => sum + call.arguments.length + call.name.length, 0)
      : 0;
  return (message.content?.length ?? 0) + calls;
}

/** Elides the oldest tool outputs, in place, until the conversation fits `budgetChars`; returns how many. */
export function fitTranscript(messages: ChatMessage[], budgetChars: number): number {
  let total = messages.reduce((sum, message) => sum + size(message), 0);
  let elided = 0;
  for (const [index, message] of messages.entries()) {
    if (total <= budgetChars) break;
    if (message.role !== 'tool' || message.content.startsWith('[tool output elided')) continue;
    const marker = elidedMarker(message.content.length);
    if (marker.length >= message.content.length) continue;
    total -= message.content.length - marker.length;
    messages[index] = { ...message, content: marker };
    elided++;
  }
  return elided;
}
