// The demo model's streamed answer, paced like a model's: its text in word-sized pieces with a pause between
// them, so `npm start` shows the text arriving at `toolgate ask` and on the event stream as it is written.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  STREAM_END,
  STREAM_HEADERS,
  completionChunks,
  streamLine,
  type CompletionAnswer,
} from './chat-completion-wire.ts';

/** At most this many pieces, so a long answer (a tool's output echoed) still streams in under a second. */
const MAX_PIECES = 24;
const PAUSE_MS = 30;

/** The text in pieces of whole words (a word with the space after it), at most {@link MAX_PIECES}. */
export function wordPieces(text: string): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? [text];
  const perPiece = Math.ceil(words.length / MAX_PIECES);
  const pieces: string[] = [];
  for (let at = 0; at < words.length; at += perPiece) pieces.push(words.slice(at, at + perPiece).join(''));
  return pieces;
}

export async function writePacedCompletion(
  res: ServerResponse,
  answer: Omit<CompletionAnswer, 'stream' | 'contentChunks'>,
  pauseMs = PAUSE_MS,
): Promise<void> {
  const content = answer.content ? wordPieces(answer.content) : [];
  res.writeHead(200, STREAM_HEADERS);
  let texts = 0;
  for (const chunk of completionChunks({ ...answer, stream: true, contentChunks: content })) {
    if (chunk.kind === 'content' && texts++ > 0) await sleep(pauseMs);
    if (res.destroyed) return;
    res.write(streamLine(chunk));
  }
  res.end(STREAM_END);
}
