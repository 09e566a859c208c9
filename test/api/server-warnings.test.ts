// Fastify's deprecation and misuse warnings are printed once per process to everyone who runs `npm start`:
// building the API must trigger none. A file of its own, because Node emits each warning code only once per
// process, so a server built earlier by another test would hide it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHarness } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';

describe('API server construction', () => {
  const warnings: Array<Error & { code?: string }> = [];
  const collect = (warning: Error & { code?: string }): void => {
    warnings.push(warning);
  };
  let harness: Harness;
  let api: ApiHarness;

  beforeAll(async () => {
    process.on('warning', collect);
    harness = await startHarness({ servers: [], worker: false });
    api = await startApi(harness);
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  });

  afterAll(async () => {
    process.off('warning', collect);
    await api?.close();
    await harness?.close();
  });

  it('emits no Fastify warning (FSTDEP..., FSTWRN...)', () => {
    const fastifyWarnings = warnings.filter((warning) => warning.code?.startsWith('FST'));
    expect(fastifyWarnings.map((warning) => `${warning.code}: ${warning.message}`)).toEqual([]);
  });
});
