// A requester's sealed credential is bound to the run it was issued for: a namespace writer who reuses a closed
// round's id and starts a new run with a copy of its input (raw Temporal client, no API) never gets the token
// sent: the round refuses input that no longer matches its signature, and even re-signed input (someone who also
// holds the API's key) is refused by the activity, whether the copy claims a later expiry or not.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInputOf } from '../../runtime/round-runs.ts';
import { QueryRoundInput, RequesterAttribute, WORKFLOW_TYPE } from '../../workflows/contract.ts';
import { startSealedStack, type SealedStack } from '../support/sealed-stack.ts';
import { testSigner } from '../../testkit/signing.ts';
import { lastToolMessages, messageText, type LlmScript } from '../../testkit/scripted-llm-server.ts';

const KUBE_HEADER = 'X-Kube-Token';

describe('a sealed credential copied into another run', () => {
  const valid = new Set<string>();
  let stack: SealedStack;

  beforeAll(async () => {
    stack = await startSealedStack({
      name: 'credential-replay-test',
      mcp: { authorize: (authorization) => authorization !== undefined && valid.has(authorization) },
      k8s: { userCredential: { fromHeader: KUBE_HEADER } },
      config: () => ({
        approvals: { approvers: ['alice'] },
        codec: { keys: [{ id: 'k1', secret: randomBytes(32).toString('base64') }] },
      }),
    });
  });

  afterAll(() => stack?.close());

  it('is refused by the round, and re-signed by the activity, with a later expiry or the same one; the MCP server never sees it', async () => {
    const { api, client, mcp, routes } = stack;
    const token = `carol-${randomUUID()}`;
    valid.add(`Bearer ${token}`);
    // Calls echo, or reports what it returned: the same script serves every run of the round.
    const marker = `q-${randomUUID()}`;
    routes[marker] = ((request) =>
      lastToolMessages(request).length > 0
        ? { content: messageText(lastToolMessages(request)[0]) }
        : { toolCalls: [{ name: 'echo', arguments: { message: 'as carol' } }] }) satisfies LlmScript;
    const started = await api.request('carol', 'POST', '/v1/rounds', { query: marker }, { [KUBE_HEADER]: token });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const roundId = started.body.roundId as string;
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.answer, { timeout: 20_000 })
      .toBe('echo: as carol');
    const { runId } = await client.workflow.getHandle(roundId).describe();
    const original = QueryRoundInput.parse(await startInputOf(client, roundId, runId));
    const sealed = original.credentials!.k8s!;
    const sent = () => mcp.calls.filter((call) => call.authorization === `Bearer ${token}`).length;
    expect(sent()).toBe(1);

    const { signature: _signature, roundId: _roundId, startedAt: _startedAt, ...unsigned } = original;
    // A plain copy no longer matches its signature: the round refuses it before any call.
    const replay = async (expiresAt: string, resign: boolean) => {
      const copied = { ...unsigned, credentials: { k8s: { ...sealed, expiresAt } } };
      const handle = await client.workflow.start(WORKFLOW_TYPE, {
        taskQueue: stack.config.temporal.taskQueue,
        workflowId: roundId,
        args: [resign ? testSigner.roundInput(roundId, copied) : { ...original, ...copied }],
        typedSearchAttributes: [{ key: RequesterAttribute, value: original.requester }],
      });
      return handle.result().then(
        (result) => (result as { answer: string }).answer,
        (error: unknown) => String((error as { cause?: unknown }).cause ?? error),
      );
    };
    const later = new Date(Date.parse(sealed.expiresAt) + 24 * 3_600_000).toISOString();
    expect(await replay(later, false)).toMatch(/round input is refused: its signature .* does not match its content/);
    // Someone who also holds the API's signing key: the activity still refuses the copy.
    expect(await replay(later, true)).toMatch(/not authorized.*cannot be opened on this worker/);
    expect(await replay(sealed.expiresAt, true)).toMatch(/not authorized.*issued for another run/);
    expect(sent()).toBe(1);
  });
});
