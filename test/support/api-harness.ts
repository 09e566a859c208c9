// The real API server (in-process, real HTTP on a free port) in front of a round harness.
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { AccessPolicy } from '../../api/access.ts';
import type { EncryptionCodec } from '../../runtime/payload-codec.ts';
import { createAuthenticator } from '../../api/auth.ts';
import { createMetrics } from '../../api/metrics.ts';
import type { ApiContext } from '../../api/api-context.ts';
import type { CredentialIntake } from '../../api/user-credentials.ts';
import { buildApiServer } from '../../api/server.ts';
import { createSlackDesk } from '../../api/slack-desk.ts';
import { createSlackIntegration } from '../../slack/interactivity.ts';
import type { ApiRoles, SlackConfig } from '../../runtime/config.ts';
import { createLogger } from '../../runtime/logger.ts';
import type { Harness } from './round-harness.ts';

export const TOKENS = {
  alice: 'alice-token-0123456789',
  bob: 'bob-token-0123456789ab',
  carol: 'carol-token-0123456789',
  mallory: 'mallory-token-01234567',
  audrey: 'audrey-token-012345678',
  adam: 'adam-token-0123456789a',
  prom: 'prom-token-0123456789ab',
} as const;
export type Person = keyof typeof TOKENS;

/** The `api.tokens` of a config that knows every test principal. */
export const TOKEN_CONFIG = Object.entries(TOKENS).map(([principal, token]) => ({ principal, token }));

export interface ApiHarness {
  url: string;
  app: FastifyInstance;
  request: (
    person: Person | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function startApi(
  harness: Pick<Harness, 'client' | 'config'>,
  options: {
    codec?: { codec: EncryptionCodec; allowedOrigins: string[] };
    workerWaitMs?: number;
    maxQueryChars?: number;
    slack?: SlackConfig;
    roles?: Partial<ApiRoles>;
    publicMetrics?: boolean;
    credentials?: CredentialIntake;
  } = {},
): Promise<ApiHarness> {
  const logger = createLogger('test-api');
  logger.level = process.env.LOG_LEVEL ?? 'fatal';
  const context: ApiContext = {
    client: harness.client,
    namespace: 'default',
    taskQueue: harness.config.temporal.taskQueue,
    links: { apiUrl: 'http://api.test', webUiUrl: 'http://ui.test', namespace: 'default' },
    workerWaitMs: options.workerWaitMs ?? 5000,
    access: new AccessPolicy({ admin: [], auditor: [], metrics: [], ...options.roles }),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const app = await buildApiServer({
    context,
    authenticate: createAuthenticator(TOKEN_CONFIG),
    metrics: createMetrics(),
    logger,
    maxQueryChars: options.maxQueryChars ?? 8000,
    publicMetrics: options.publicMetrics ?? true,
    ...(options.codec ? { codec: options.codec } : {}),
    slackRoutes: options.slack
      ? createSlackIntegration({ slack: options.slack, desk: createSlackDesk(context), logger }).routes
      : undefined,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    app,
    request: apiRequester(url),
    close: () => app.close(),
  };
}

/** Requests to an API at `url` as a test principal; JSON bodies parsed, others (metrics) kept as text. */
export function apiRequester(url: string): ApiHarness['request'] {
  return async (person, method, path, body, headers = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(person ? { authorization: `Bearer ${TOKENS[person]}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Non-JSON bodies (metrics) stay text.
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
}

/** The id of a round's first approval, once the round has opened one (read as its requester `carol`). */
export async function firstApprovalId(request: ApiHarness['request'], roundId: string): Promise<string> {
  let approvalId: string | undefined;
  await expect
    .poll(
      async () =>
        (approvalId = (await request('carol', 'GET', `/v1/rounds/${roundId}`)).body.approvals?.[0]?.approvalId),
      { timeout: 20_000 },
    )
    .toBeDefined();
  return approvalId!;
}
