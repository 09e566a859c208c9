// The model's text as `ask` prints it while it streams: pieces as they come, between the lines of durable events,
// so the round's answer, once streamed, need not be printed again.
import type { LiveEvent } from '../workflows/contract.ts';

export interface LiveOutput {
  /** Text as it is, no line end added (on a terminal, controls are stripped first). */
  write(text: string): void;
  err(line: string): void;
}

export class LiveText {
  readonly #output: LiveOutput;
  /** Step -> the text streamed of its current call. */
  readonly #streamed = new Map<number, string>();
  /** Whether streamed text left the cursor mid-line. */
  #midLine = false;

  constructor(output: LiveOutput) {
    this.#output = output;
  }

  live(event: LiveEvent): void {
    // Reasoning is not the answer: it stays out of a person's view (`--json` shows it).
    if (event.type === 'reasoning') return;
    if (event.type === 'token_reset') {
      if (!this.#streamed.get(event.step)) return;
      this.endLine();
      this.#output.err(`(step ${event.step} is asked again, attempt ${event.attempt}: the text above is void)`);
      this.#streamed.set(event.step, '');
      return;
    }
    if (event.text === '') return;
    this.#streamed.set(event.step, (this.#streamed.get(event.step) ?? '') + event.text);
    this.#output.write(event.text);
    this.#midLine = !event.text.endsWith('\n');
  }

  /** Before a durable event's line: ends the streamed text's line. */
  endLine(): void {
    if (this.#midLine) this.#output.write('\n');
    this.#midLine = false;
  }

  /** Whether `text` is what step `step` streamed, in full. */
  streamed(step: number, text: string): boolean {
    return text !== '' && this.#streamed.get(step) === text;
  }
}
