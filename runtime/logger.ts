import pino, { type Logger } from 'pino';

/** JSON logs on stderr (stdout stays free for command output); LOG_LEVEL sets the level. */
export function createLogger(name: string): Logger {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
}
