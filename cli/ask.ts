// `ask`: start a round, then follow its events to the end.
import type { LiveEvent, RoundEvent } from '../workflows/contract.ts';
import { commandLine, formatEvent } from './format.ts';
import { LiveText } from './live-text.ts';
import { EXIT, type Session } from './session.ts';

export interface AskInput {
  query: string;
  follow: boolean;
  previousRoundId?: string;
  servers?: string[];
  idempotencyKey?: string;
}

interface StartAnswer {
  roundId: string;
  created: boolean;
  links: { self: string; events: string; webUi: string };
}

export async function ask(session: Session, input: AskInput): Promise<number> {
  const started = await session.client.request<StartAnswer>('POST', '/v1/rounds', {
    query: input.query,
    ...(input.previousRoundId ? { previousRoundId: input.previousRoundId } : {}),
    ...(input.servers?.length ? { servers: input.servers } : {}),
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
  });
  const { roundId } = started;
  if (session.json) session.out(JSON.stringify(started));
  else {
    session.out(`round ${roundId}${started.created ? '' : ' (already started with this idempotency key)'}`);
    session.out(`web UI: ${started.links.webUi}`);
  }
  if (!input.follow) {
    if (!session.json) session.out(`follow-up: ${commandLine(['rounds', 'show', roundId], session.commandUrl)}`);
    return EXIT.ok;
  }

  const onInterrupt = () => {
    session.err(
      `\nstopped following; the round goes on: ${commandLine(['rounds', 'show', roundId], session.commandUrl)}`,
    );
    process.exit(130);
  };
  // `on`, not `once`: a terminal's Ctrl-C reaches both the launcher and this process, and the launcher forwards it.
  process.on('SIGINT', onInterrupt);
  const text = new LiveText(session);
  const printEvent = (event: RoundEvent) => {
    text.endLine();
    const answerShown = event.type === 'round_completed' && text.streamed(event.steps, event.answer);
    session.out(formatEvent(event, session.commandUrl, answerShown));
  };
  try {
    const final = await session.client.followEvents(roundId, {
      onEvent: session.json ? (event: RoundEvent) => session.out(JSON.stringify(event)) : printEvent,
      // The model's text as it streams: printed as it comes (--json: one event per line like the others).
      onLive: session.json ? (event: LiveEvent) => session.out(JSON.stringify(event)) : (event) => text.live(event),
      onReconnect: (attempt, lastId, reason) =>
        session.err(`event stream dropped (${reason}); resuming after event ${lastId}, attempt ${attempt}`),
    });
    return final.type === 'round_completed' ? EXIT.ok : EXIT.roundFailed;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
