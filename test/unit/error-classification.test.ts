import { type ApplicationFailure } from '@temporalio/common';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { APIConnectionError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { classifyLlmError } from '../../activities/llm-errors.ts';
import { HttpStatusError, classifyCallError, classifyConnectError } from '../../mcp/call-errors.ts';
import { parseRetryAfter } from '../../runtime/retry-after.ts';
import { FailureType } from '../../workflows/contract.ts';

const shape = (failure: ApplicationFailure) => ({ type: failure.type, nonRetryable: failure.nonRetryable });
const kind = (error: unknown) => classifyCallError(error, 1000).type;
const networkError = (code: string) =>
  new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });

describe('MCP error classification: where did the call fail?', () => {
  it('refused by the server without running: invalid calls and authorization failures', () => {
    expect(kind(new McpError(ErrorCode.InvalidParams, 'bad'))).toBe(FailureType.McpInvalidCall);
    expect(kind(new McpError(ErrorCode.MethodNotFound, 'no'))).toBe(FailureType.McpInvalidCall);
    expect(kind(new StreamableHTTPError(400, 'bad request'))).toBe(FailureType.McpInvalidCall);
    expect(kind(new StreamableHTTPError(403, 'forbidden'))).toBe(FailureType.McpUnauthorized);
    expect(kind(new StreamableHTTPError(401, 'who'))).toBe(FailureType.McpUnauthorized);
  });

  it('provably not sent: refused, DNS, TLS, 429/503 (keeping Retry-After), a lost session', () => {
    for (const code of [
      'ECONNREFUSED',
      'ENOTFOUND',
      'EAI_AGAIN',
      'UND_ERR_CONNECT_TIMEOUT',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'ERR_SSL_WRONG_VERSION_NUMBER',
    ]) {
      expect(kind(networkError(code)), code).toBe(FailureType.McpNotSent);
    }
    const limited = classifyCallError(new HttpStatusError(429, 2000, ''), 1000);
    expect(shape(limited)).toEqual({ type: FailureType.McpNotSent, nonRetryable: false });
    expect(limited.details).toEqual([{ retryAfterMs: 2000 }]);
    expect(kind(new HttpStatusError(503, undefined, ''))).toBe(FailureType.McpNotSent);
    expect(kind(new StreamableHTTPError(404, 'session not found'))).toBe(FailureType.McpNotSent);
  });

  it('may have been received: reset, socket closed, timeouts, 408/500/502/504, closed connection, -32603, anything unknown', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET'])
      expect(kind(networkError(code)), code).toBe(FailureType.McpOutcomeUnknown);
    for (const status of [408, 500, 502, 504])
      expect(kind(new StreamableHTTPError(status, 'x')), String(status)).toBe(FailureType.McpOutcomeUnknown);
    expect(kind(new McpError(ErrorCode.RequestTimeout, 'Request timed out'))).toBe(FailureType.McpOutcomeUnknown);
    expect(kind(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'))).toBe(FailureType.McpOutcomeUnknown);
    expect(kind(new McpError(ErrorCode.InternalError, 'boom'))).toBe(FailureType.McpOutcomeUnknown);
    expect(kind(new Error('weird'))).toBe(FailureType.McpOutcomeUnknown);
  });

  it('classifies any failure to connect as not sent, except authorization', () => {
    expect(classifyConnectError(new Error('protocol version mismatch')).type).toBe(FailureType.McpNotSent);
    expect(classifyConnectError(networkError('ECONNRESET')).type).toBe(FailureType.McpNotSent);
    expect(classifyConnectError(new StreamableHTTPError(401, 'who')).type).toBe(FailureType.McpUnauthorized);
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
    expect(classifyLlmError(apiError(400, {}, 'context_length_exceeded')).message).toContain(
      "longer than the model's context window",
    );
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
