// Classifies everything an MCP call can throw into the failure types the workflow's retry logic reads.
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { FailureType } from '../workflows/contract.ts';

/** Thrown by our fetch wrapper so that a 429/503's Retry-After survives the transport. */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  readonly status: number;
  readonly retryAfterMs: number | undefined;

  constructor(status: number, retryAfterMs: number | undefined, body: string) {
    super(`HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

function networkCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function failure(type: FailureType, message: string, nonRetryable: boolean, retryAfterMs?: number): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable, details: retryAfterMs === undefined ? [] : [{ retryAfterMs }] });
}

function fromHttpStatus(status: number, message: string, retryAfterMs?: number): ApplicationFailure {
  if (status === 401 || status === 403) return failure(FailureType.McpUnauthorized, `HTTP ${status} from the MCP server`, true);
  if (status === 429 || status >= 500 || status === 404 || status === 408) {
    return failure(FailureType.McpUnavailable, message, false, retryAfterMs);
  }
  return failure(FailureType.McpInvalidCall, message, true);
}

/** True when the pooled connection should be dropped and made anew on the next attempt. */
export function isConnectionLevel(error: unknown): boolean {
  if (error instanceof McpError) return error.code === ErrorCode.ConnectionClosed;
  if (error instanceof StreamableHTTPError) return error.code === 404 || (error.code ?? 0) >= 500;
  return networkCode(error) !== undefined;
}

export function classifyMcpError(error: unknown, context: { retrySafe: boolean; timeoutMs: number }): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof McpError) {
    switch (error.code) {
      case ErrorCode.InvalidParams:
      case ErrorCode.MethodNotFound:
      case ErrorCode.InvalidRequest:
        return failure(FailureType.McpInvalidCall, message, true);
      case ErrorCode.RequestTimeout:
        return failure(FailureType.McpTimeout, `no result within ${context.timeoutMs} ms`, !context.retrySafe);
      case ErrorCode.ConnectionClosed:
        return failure(FailureType.McpUnavailable, message, false);
      default:
        return failure(FailureType.McpUnavailable, message, false);
    }
  }
  if (error instanceof HttpStatusError) return fromHttpStatus(error.status, message, error.retryAfterMs);
  if (error instanceof UnauthorizedError) return failure(FailureType.McpUnauthorized, message, true);
  if (error instanceof StreamableHTTPError && error.code !== undefined && error.code > 0) {
    return fromHttpStatus(error.code, message);
  }
  const code = networkCode(error);
  if (code) return failure(FailureType.McpUnavailable, `cannot reach the MCP server (${code})`, false);
  // Unknown failures are retried only where running the tool twice is harmless.
  return failure(FailureType.McpUnavailable, message, !context.retrySafe);
}
