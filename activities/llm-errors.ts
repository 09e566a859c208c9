// LLM failures: transient ones are retried by Temporal (honouring Retry-After), the rest fail the round.
import { ApplicationFailure } from '@temporalio/common';
import { APIConnectionError, APIError } from 'openai';
import { FailureType } from '../workflows/contract.ts';
import { parseRetryAfter } from '../runtime/retry-after.ts';

const RETRIED_STATUSES = new Set([408, 409, 429]);
const CONTEXT_LENGTH_CODES = new Set(['context_length_exceeded', 'string_above_max_length']);

export function classifyLlmError(error: unknown): ApplicationFailure {
  if (error instanceof APIConnectionError) {
    return ApplicationFailure.create({
      type: FailureType.LlmUnavailable,
      message: `cannot reach the LLM: ${error.message}`,
    });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    if (RETRIED_STATUSES.has(status) || status >= 500) {
      return ApplicationFailure.create({
        type: FailureType.LlmUnavailable,
        message: `LLM answered HTTP ${status}: ${error.message}`,
        nextRetryDelay: parseRetryAfter(error.headers as Headers | undefined),
      });
    }
    const why = CONTEXT_LENGTH_CODES.has(String(error.code))
      ? `the conversation is longer than the model's context window (${error.message})`
      : `HTTP ${status}: ${error.message}`;
    return ApplicationFailure.create({
      type: FailureType.LlmRejected,
      message: `LLM request rejected, ${why}`,
      nonRetryable: true,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({ type: FailureType.LlmUnavailable, message: `LLM call failed: ${message}` });
}
