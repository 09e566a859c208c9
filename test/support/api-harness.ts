// The real API server (in-process, real HTTP on a free port, wired by createApi as api/main.ts is) in front of
// a round harness.
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { createApi } from '../../api/create-api.ts';
import type { ApiRoles, LimitsConfig, SlackConfig, ToolgateConfig } from '../../runtime/config.ts';
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
    workerWaitMs?: number;
    maxQueryChars?: number;
    slack?: SlackConfig;
    roles?: Partial<ApiRoles>;
    publicMetrics?: boolean;
    /** Over the config's limits (the production defaults unless the harness config says otherwise). */
    limits?: Partial<LimitsConfig>;
    /** Over the config's console settings (`api.ui`). */
    ui?: Partial<ToolgateConfig['api']['ui']>;
    /** Over the config's MCP gateway settings (`api.gateway`). */
    gateway?: Partial<ToolgateConfig['api']['gateway']>;
  } = {},
): Promise<ApiHarness> {
  const logger = createLogger('test-api');
  logger.level = process.env.LOG_LEVEL ?? 'fatal';
  // The harness config with the test principals and this API's settings; codec and credentials come from it.
  const config: ToolgateConfig = {
    ...harness.config,
    slack: options.slack,
    limits: { ...harness.config.limits, ...options.limits },
    api: {
      ...harness.config.api,
      publicUrl: 'http://api.test',
      webUiUrl: 'http://ui.test',
      tokens: TOKEN_CONFIG,
      maxQueryChars: options.maxQueryChars ?? 8000,
      publicMetrics: options.publicMetrics ?? true,
      roles: { admin: [], auditor: [], metrics: [], ...options.roles },
      ui: { ...harness.config.api.ui, ...options.ui },
      gateway: { ...harness.config.api.gateway, ...options.gateway },
    },
  };
  const api = await createApi({ config, client: harness.client, logger, workerWaitMs: options.workerWaitMs ?? 5000 });
  const url = await api.listen('127.0.0.1', 0);
  return { url, app: api.app, request: apiRequester(url), close: () => api.close() };
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

/** Approve `approvalId` as `person` with the digest the API shows for it, as every client must. */
export async function approveShown(
  request: ApiHarness['request'],
  person: Person,
  approvalId: string,
): ReturnType<ApiHarness['request']> {
  const { argsDigest } = (await request(person, 'GET', `/v1/approvals/${approvalId}`)).body as { argsDigest: string };
  return request(person, 'POST', `/v1/approvals/${approvalId}`, { decision: 'approve', argsDigest });
}
