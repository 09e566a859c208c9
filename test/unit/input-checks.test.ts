// The round's own guards (workflows/input-checks.ts) must accept exactly what the contract's schemas accept:
// the schemas are the definition, the guards keep zod out of every cached round.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecisionRequest, QueryRoundInput } from '../../workflows/contract.ts';
import { decisionProblems, roundInputProblems } from '../../workflows/input-checks.ts';

const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 60 }),
  fc.constantFrom(1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', ' ', 'x'.repeat(100_001), 'r'.repeat(2001), '2026-11-27T20:00:00.000Z', 'soon'),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  fc.constant({}),
);

/** Mostly a valid value, sometimes anything: inputs near the boundary, where guards and schemas could differ. */
const mostly = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: valid, weight: 10 }, { arbitrary: anyValue, weight: 1 });
const seldomWrong = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: valid, weight: 20 }, { arbitrary: anyValue, weight: 1 });

const toolCall = fc.record(
  {
    id: fc.oneof(fc.string(), anyValue),
    name: fc.string(),
    arguments: fc.oneof(fc.string(), anyValue),
    extra: anyValue,
  },
  { requiredKeys: ['id', 'name', 'arguments'] },
);
const message = fc.oneof(
  fc.record(
    {
      role: fc.constantFrom('system', 'user', 'tool', 'bot'),
      content: fc.oneof(fc.string(), anyValue),
      toolCallId: fc.oneof(fc.string(), anyValue),
    },
    { requiredKeys: ['role'] },
  ),
  fc.record(
    {
      role: fc.constant('assistant'),
      content: fc.oneof(fc.string(), fc.constant(null), anyValue),
      toolCalls: fc.oneof(fc.array(toolCall, { maxLength: 2 }), anyValue),
      x: anyValue,
    },
    { requiredKeys: ['role', 'content'] },
  ),
  anyValue,
);

const roundInput = fc.oneof(
  anyValue,
  fc.record(
    {
      query: mostly(fc.string({ minLength: 1 })),
      requester: mostly(fc.string({ minLength: 1 })),
      messages: mostly(fc.array(message, { maxLength: 3 })),
      servers: mostly(fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 })),
      maxSteps: mostly(fc.integer({ min: 1, max: 50 })),
      // The fields added later are seldom wrong, so that valid inputs stay common enough to compare.
      maxToolCallsPerReply: seldomWrong(fc.integer({ min: 1, max: 64 })),
      quota: seldomWrong(
        fc.record({
          period: seldomWrong(fc.constantFrom('day', 'month')),
          limit: seldomWrong(fc.nat()),
          remaining: seldomWrong(fc.integer({ min: -1 })),
          resetsAt: fc.string(),
        }),
      ),
      credentials: mostly(
        fc.dictionary(
          fc.string({ maxLength: 4 }),
          mostly(
            fc.record({ keyId: mostly(fc.string()), sealed: mostly(fc.string()), expiresAt: mostly(fc.string()) }),
          ),
          { maxKeys: 2 },
        ),
      ),
      extra: anyValue,
    },
    { requiredKeys: ['query', 'requester'] },
  ),
);

const decision = fc.oneof(
  anyValue,
  fc.record(
    {
      approvalId: fc.oneof(fc.string(), anyValue),
      decision: fc.oneof(fc.constantFrom('approve', 'reject', 'maybe'), anyValue),
      reason: anyValue,
      approver: fc.oneof(
        fc.record(
          {
            id: fc.oneof(fc.string(), anyValue),
            channel: fc.constantFrom('http', 'slack', 'cli', 'web', 'fax'),
            x: anyValue,
          },
          { requiredKeys: [] },
        ),
        anyValue,
      ),
      argsDigest: anyValue,
      previewDigest: anyValue,
      receivedAt: anyValue,
      arguments: fc.oneof(fc.constant({ path: '/tmp/x' }), anyValue),
      editedArgsDigest: fc.oneof(fc.string({ maxLength: 4 }), anyValue),
    },
    { requiredKeys: [] },
  ),
);

describe("the round's guards agree with the contract's schemas", () => {
  /** Both verdicts must be common, or the comparison proves little. */
  const verdicts = { valid: 0, invalid: 0 };
  const count = (valid: boolean) => (valid ? verdicts.valid++ : verdicts.invalid++);

  it('round input', () => {
    fc.assert(
      fc.property(roundInput, (input) => {
        count(QueryRoundInput.safeParse(input).success);
        expect(roundInputProblems(input).length === 0, JSON.stringify(input)?.slice(0, 300)).toBe(
          QueryRoundInput.safeParse(input).success,
        );
      }),
      { numRuns: 5000 },
    );
  });

  it('decisions', () => {
    fc.assert(
      fc.property(decision, (request) => {
        count(DecisionRequest.safeParse(request).success);
        expect(decisionProblems(request).length === 0, JSON.stringify(request)?.slice(0, 300)).toBe(
          DecisionRequest.safeParse(request).success,
        );
      }),
      { numRuns: 5000 },
    );
  });

  it('drew both valid and invalid values', () => {
    expect(verdicts.valid).toBeGreaterThan(200);
    expect(verdicts.invalid).toBeGreaterThan(200);
  });

  it('accepts what the API sends', () => {
    expect(
      roundInputProblems({ query: 'hi', requester: 'carol', messages: [{ role: 'user', content: 'x' }], maxSteps: 3 }),
    ).toEqual([]);
    expect(
      decisionProblems({
        approvalId: 'r.1.0',
        decision: 'approve',
        approver: { id: 'alice', channel: 'http' },
        receivedAt: new Date().toISOString(),
      }),
    ).toEqual([]);
  });
});
