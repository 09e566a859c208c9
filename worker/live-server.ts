// The worker's live server: `GET /v1/live/{roundId}` streams the round's live events from this worker's hub
// (buffered ones first) as Server-Sent Events to API replicas that sign their request (runtime/live-authorization.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { LiveHub } from '../activities/live-hub.ts';
import type { ToolgateConfig } from '../runtime/config.ts';
import { liveAuthorizationProblem } from '../runtime/live-authorization.ts';
import { formatSseComment } from '../runtime/sse.ts';
import { ROUND_ID_PATTERN, type LiveEvent, type SigningPublicKey } from '../workflows/contract.ts';

/** A comment this often keeps proxies and the API's reader from taking the stream for dead. */
const KEEPALIVE_MS = 15_000;
/** A reader that lets this much pile up unread is dropped: tokens are best-effort, memory is not. */
const MAX_UNREAD_BYTES = 1_000_000;
const PATH = /^\/v1\/live\/([^/?]+)$/;

export interface LiveServer {
  /** What API replicas use to reach it: `worker.live.url`, else http://host:port. */
  url: string;
  close(): Promise<void>;
}

export function formatLiveEvent(event: LiveEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export async function startLiveServer(options: {
  hub: LiveHub;
  settings: ToolgateConfig['worker']['live'];
  keys: readonly SigningPublicKey[];
  logger: Logger;
}): Promise<LiveServer> {
  const { hub, settings, keys, logger } = options;
  const server = createServer((req, res) => serve(req, res));

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const roundId = req.method === 'GET' ? PATH.exec(req.url ?? '')?.[1] : undefined;
    if (roundId === undefined || !ROUND_ID_PATTERN.test(roundId)) return void res.writeHead(404).end();
    const problem = liveAuthorizationProblem(req.headers.authorization, roundId, keys);
    if (problem) {
      logger.debug({ roundId, problem }, 'live stream refused');
      return void res.writeHead(401).end();
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const send = (text: string) => {
      if (res.writableLength > MAX_UNREAD_BYTES) res.destroy();
      else res.write(text);
    };
    const unsubscribe = hub.subscribe(roundId, (event) => send(formatLiveEvent(event)));
    const keepalive = setInterval(() => send(formatSseComment('keepalive')), KEEPALIVE_MS);
    res.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  // Never what keeps the process alive: the worker is.
  server.unref();
  const { port } = server.address() as AddressInfo;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    url: settings.url ?? `http://${host}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
