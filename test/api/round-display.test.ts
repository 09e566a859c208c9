// Temporal Web UI renders a round's summary and details as Markdown: a round started through the API shows its
// query and its requester's name as text there, never as a link or HTML someone put in them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type Api } from '../../api/create-api.ts';
import { createLogger } from '../../runtime/logger.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';

const TOKEN = 'display-token-0123456789';

describe('round display in Temporal Web UI', () => {
  let harness: Harness;
  let api: Api;
  let url: string;

  beforeAll(async () => {
    // No worker: the summary and details are set when the round starts.
    harness = await startHarness({ servers: [], worker: false });
    const logger = createLogger('test-api');
    logger.level = 'fatal';
    const { config } = harness;
    api = await createApi({
      config: {
        ...config,
        api: { ...config.api, tokens: [{ principal: 'eve [me](https://evil.test)', token: TOKEN }] },
      },
      client: harness.client,
      logger,
    });
    url = await api.listen('127.0.0.1', 0);
  });

  afterAll(async () => {
    await api?.close();
    await harness?.close();
  });

  it('escapes the query and restricts the requester name in the summary and details', async () => {
    const response = await fetch(`${url}/v1/rounds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'click [here](https://evil.test)\n# now <b>' }),
    });
    expect(response.status).toBe(201);
    const { roundId } = (await response.json()) as { roundId: string };
    const handle = harness.client.workflow.getHandle(roundId);
    try {
      const description = await handle.describe();
      expect(await description.staticSummary()).toBe('click \\[here\\]\\(https\\:\\/\\/evil\\.test\\) \\# now \\<b\\>');
      expect(await description.staticDetails()).toBe(
        'Requested by eve\\_\\_me\\_\\_https\\_\\_\\_evil.test\\_ through the HTTP API',
      );
    } finally {
      await handle.terminate('test over');
    }
  });
});
