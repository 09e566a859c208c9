// One round sealed with a key an API does not hold (retired in a rotation, another deployment's) must not take
// the approvals list down for everyone who would see it: the list answers with the approvals it can read.
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataConverterFor } from '../../runtime/payload-codec.ts';
import { startApi, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startSealedStack, type SealedStack } from '../support/sealed-stack.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';

const secret = () => randomBytes(32).toString('base64');

describe('approvals list beside a round sealed with another key', () => {
  const retired = { id: 'retired', secret: secret() };
  const current = { id: 'current', secret: secret() };
  let stack: SealedStack;
  const apis: ApiHarness[] = [];

  /** An API over the stack's namespace that holds only `keys`. */
  async function apiWith(keys: Array<{ id: string; secret: string }>): Promise<ApiHarness> {
    const codec = { keys };
    const api = await startApi(
      {
        client: new Client({ connection: stack.connection, dataConverter: dataConverterFor(codec) }),
        config: { ...stack.config, codec },
      },
      { roles: { auditor: ['audrey'] } },
    );
    apis.push(api);
    return api;
  }

  beforeAll(async () => {
    stack = await startSealedStack({
      name: 'sealed-listing',
      config: () => ({ approvals: { approvers: ['alice'] }, codec: { keys: [retired] } }),
      api: { roles: { auditor: ['audrey'] } },
    });
  });

  afterAll(async () => {
    for (const api of apis) await api.close();
    await stack?.close();
  });

  it('lists what it can read and leaves out the round it cannot open, for every reader', async () => {
    stack.routes['sealed-old'] = scriptedSteps({
      toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'sealed-old' } }],
    });
    const started = await stack.api.request('carol', 'POST', '/v1/rounds', { query: 'sealed-old' });
    const approvalId = `${started.body.roundId as string}.1.0`;
    await expect
      .poll(async () => JSON.stringify((await stack.api.request('audrey', 'GET', '/v1/approvals')).body), {
        timeout: 20_000,
      })
      .toContain(approvalId);

    // After a rotation that kept the old key, the round is listed; once the old key is gone, it is left out.
    const rotated = await apiWith([current, retired]);
    const dropped = await apiWith([current]);
    for (const person of ['audrey', 'carol', 'alice'] as Person[]) {
      const kept = await rotated.request(person, 'GET', '/v1/approvals');
      expect(kept.status, person).toBe(200);
      expect(JSON.stringify(kept.body), person).toContain(approvalId);
      const without = await dropped.request(person, 'GET', '/v1/approvals');
      expect(without, person).toMatchObject({ status: 200, body: { approvals: [] } });
    }

    // The audit trail of an API with another key, or none at all, leaves the round out rather than failing.
    const plain = await startApi(
      { client: new Client({ connection: stack.connection }), config: { ...stack.config, codec: undefined } },
      { roles: { auditor: ['audrey'] } },
    );
    apis.push(plain);
    expect(await plain.request('audrey', 'GET', '/v1/approvals')).toMatchObject({
      status: 200,
      body: { approvals: [] },
    });
    for (const api of [dropped, plain]) {
      const audit = await api.request('audrey', 'GET', '/v1/audit');
      expect(audit.status).toBe(200);
      expect(JSON.stringify(audit.body)).not.toContain(approvalId);
    }
    expect(JSON.stringify((await rotated.request('audrey', 'GET', '/v1/audit')).body)).toContain(approvalId);
  });
});
