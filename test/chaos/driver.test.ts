// The chaos driver against a real HTTP server answering what the test says: a 503 (the API's "try again
// shortly") is retried, a 500 is answered at once and recorded for the invariant that fails the run.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, type DriverContext } from '../../chaos/driver.ts';

let server: Server;
let url: string;
/** Statuses the server answers, in order; 200 once they run out. */
const statuses: number[] = [];
let requests = 0;

beforeAll(async () => {
  server = createServer((_request, response) => {
    requests++;
    const status = statuses.shift() ?? 200;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(status === 200 ? { ok: true } : { error: { code: `code-${status}` } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function context(): DriverContext {
  return {
    pool: { urls: () => [url] },
    random: () => 0,
    stats: { retries: 0, reasons: {} },
    answers: { count: 0, serverErrors: [] },
    log: () => undefined,
  };
}

describe('chaos driver', () => {
  it('retries a 503', async () => {
    statuses.push(503, 503);
    requests = 0;
    const driver = context();
    const answer = await apiRequest(driver, 'GET', '/v1/rounds/r', { token: 't' });
    expect(answer.status).toBe(200);
    expect(requests).toBe(3);
    expect(driver.stats).toEqual({ retries: 2, reasons: { 'HTTP 503 code-503': 2 } });
    expect(driver.answers).toEqual({ count: 3, serverErrors: [] });
  });

  it('records a 500 as a server error and does not retry it', async () => {
    statuses.push(500);
    requests = 0;
    const driver = context();
    const answer = await apiRequest(driver, 'POST', '/v1/approvals/a', { token: 't', body: {} });
    expect(answer.status).toBe(500);
    expect(requests).toBe(1);
    expect(driver.stats.retries).toBe(0);
    expect(driver.answers).toEqual({
      count: 1,
      serverErrors: ['POST /v1/approvals/a: HTTP 500 {"error":{"code":"code-500"}}'],
    });
  });
});
