import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { APIConnectionError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { classifyLlmError } from '../../activities/llm-errors.ts';
import { HttpStatusError, classifyMcpError } from '../../activities/mcp-errors.ts';
import { parseRetryAfter } from '../../activities/retry-after.ts';
import { FailureType } from '../../workflows/contract.ts';

const unsafe = { retrySafe: false, timeoutMs: 1000 };
const safe = { retrySafe: true, timeoutMs: 1000 };
const shape = (failure: ApplicationFailure) => ({ type: failure.type, nonRetryable: failure.nonRetryable });

describe('MCP error classification', () => {
  it('never retries invalid calls or authorization failures', () => {
    expect(shape(classifyMcpError(new McpError(ErrorCode.InvalidParams, 'bad'), safe))).toEqual({ type: FailureType.McpInvalidCall, nonRetryable: true });
    expect(shape(classifyMcpError(new McpError(ErrorCode.MethodNotFound, 'no'), safe))).toEqual({ type: FailureType.McpInvalidCall, nonRetryable: true });
    expect(shape(classifyMcpError(new StreamableHTTPError(403, 'forbidden'), safe))).toEqual({ type: FailureType.McpUnauthorized, nonRetryable: true });
    expect(shape(classifyMcpError(new StreamableHTTPError(401, 'who'), safe))).toEqual({ type: FailureType.McpUnauthorized, nonRetryable: true });
  });

  it('retries a timeout only for retry-safe tools', () => {
    const timeout = new McpError(ErrorCode.RequestTimeout, 'Request timed out');
    expect(shape(classifyMcpError(timeout, unsafe))).toEqual({ type: FailureType.McpTimeout, nonRetryable: true });
    expect(shape(classifyMcpError(timeout, safe))).toEqual({ type: FailureType.McpTimeout, nonRetryable: false });
  });

  it('retries unavailability and keeps Retry-After', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    expect(shape(classifyMcpError(refused, unsafe))).toEqual({ type: FailureType.McpUnavailable, nonRetryable: false });
    expect(shape(classifyMcpError(new StreamableHTTPError(502, 'bad gateway'), unsafe))).toEqual({ type: FailureType.McpUnavailable, nonRetryable: false });
    const limited = classifyMcpError(new HttpStatusError(429, 2000, ''), unsafe);
    expect(shape(limited)).toEqual({ type: FailureType.McpUnavailable, nonRetryable: false });
    expect(limited.details).toEqual([{ retryAfterMs: 2000 }]);
  });

  it('retries unknown failures only where repeating is harmless', () => {
    expect(classifyMcpError(new Error('weird'), unsafe).nonRetryable).toBe(true);
    expect(classifyMcpError(new Error('weird'), safe).nonRetryable).toBe(false);
  });
});

describe('LLM error classification', () => {
  const apiError = (status: number, headers: Record<string, string> = {}, code?: string) =>
    APIError.generate(status, { error: { message: 'm', code } }, undefined, new Headers(headers));

  it('retries 408, 409, 429, 5xx and connection errors, honouring retry-after', () => {
    for (const status of [408, 409, 429, 500, 503]) expect(classifyLlmError(apiError(status)).nonRetryable).toBe(false);
    expect(classifyLlmError(new APIConnectionError({ message: 'down' })).type).toBe(FailureType.LlmUnavailable);
    expect(classifyLlmError(apiError(429, { 'retry-after': '3' })).nextRetryDelay).toBe(3000);
    expect(classifyLlmError(apiError(503, { 'retry-after-ms': '250' })).nextRetryDelay).toBe(250);
  });

  it('fails fast on 400, 401, 403, 404, 422 and context-length errors', () => {
    for (const status of [400, 401, 403, 404, 422]) {
      expect(shape(classifyLlmError(apiError(status)))).toEqual({ type: FailureType.LlmRejected, nonRetryable: true });
    }
    expect(classifyLlmError(apiError(400, {}, 'context_length_exceeded')).message).toContain("longer than the model's context window");
  });
});

describe('parseRetryAfter', () => {
  it('reads milliseconds, seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '120' }), now)).toBe(120);
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(new Headers(), now)).toBeUndefined();
  });
});
