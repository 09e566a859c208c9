// Classifies everything an MCP call can throw by where it failed: before the request could reach the server
// (McpNotSent: safe to send again), after it may have reached it (McpOutcomeUnknown: the tool may have run),
// or refused by the server without running (McpInvalidCall, McpUnauthorized). The workflow decides retries.
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

/** Failures of connection set-up: no byte of the request reached a server that could act on it. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** Failures of an established connection: the request may have been read and acted on. */
const MAYBE_SENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (NOT_SENT_CODES.has(code) ||
        MAYBE_SENT_CODES.has(code) ||
        code.startsWith('ERR_SSL_') ||
        code.startsWith('ERR_TLS_'))
    ) {
      return code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function failure(type: FailureType, message: string, retryAfterMs?: number): ApplicationFailure {
  return ApplicationFailure.create({ type, message, details: retryAfterMs === undefined ? [] : [{ retryAfterMs }] });
}

const notSent = (message: string, retryAfterMs?: number) => failure(FailureType.McpNotSent, message, retryAfterMs);
const outcomeUnknown = (message: string) => failure(FailureType.McpOutcomeUnknown, message);

/**
 * 401/403: refused before running. 429/503: the server says nothing ran. 404: the session is gone, so the call
 * was not processed. Other 4xx: refused as malformed. 408, 500, 502, 504 and the rest: it may have run.
 */
function fromHttpStatus(status: number, message: string, retryAfterMs?: number): ApplicationFailure {
  if (status === 401 || status === 403)
    return failure(FailureType.McpUnauthorized, `HTTP ${status} from the MCP server`);
  if (status === 429 || status === 503 || status === 404) return notSent(message, retryAfterMs);
  if (status >= 400 && status < 500 && status !== 408) return failure(FailureType.McpInvalidCall, message);
  return outcomeUnknown(message);
}

/**
 * True when the pooled connection itself is gone: closed (a stdio server exited), or its HTTP session unknown to
 * the server (404). Over Streamable HTTP each request is its own exchange: a 5xx, a reset or a refused connection
 * fails that request only, and the session serves the next one (or answers 404 if the server lost it).
 */
export function isConnectionLevel(error: unknown): boolean {
  if (error instanceof McpError) return (error.code as ErrorCode) === ErrorCode.ConnectionClosed;
  return error instanceof StreamableHTTPError && error.code === 404;
}

/** A failure while connecting (before `tools/call` was sent): nothing can have run. */
export function classifyConnectError(error: unknown): ApplicationFailure {
  if (error instanceof UnauthorizedError) return failure(FailureType.McpUnauthorized, error.message);
  if (error instanceof StreamableHTTPError && (error.code === 401 || error.code === 403)) {
    return failure(FailureType.McpUnauthorized, `HTTP ${error.code} from the MCP server`);
  }
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return notSent(code ? `cannot reach the MCP server (${code})` : `cannot connect to the MCP server: ${message}`);
}

/** A failure of `tools/call` itself. When in doubt, the outcome is unknown. */
export function classifyCallError(error: unknown, timeoutMs: number): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof McpError) {
    switch (error.code as ErrorCode) {
      case ErrorCode.InvalidParams:
      case ErrorCode.MethodNotFound:
      case ErrorCode.InvalidRequest:
      case ErrorCode.ParseError:
        return failure(FailureType.McpInvalidCall, message);
      case ErrorCode.RequestTimeout:
        return outcomeUnknown(`no result within ${timeoutMs} ms`);
      case ErrorCode.ConnectionClosed:
        return outcomeUnknown(`the connection closed during the call (${message})`);
      default:
        return outcomeUnknown(message);
    }
  }
  if (error instanceof HttpStatusError) return fromHttpStatus(error.status, message, error.retryAfterMs);
  if (error instanceof UnauthorizedError) return failure(FailureType.McpUnauthorized, message);
  if (error instanceof StreamableHTTPError && error.code !== undefined && error.code > 0)
    return fromHttpStatus(error.code, message);
  const code = errorCode(error);
  if (code && NOT_SENT_CODES.has(code)) return notSent(`cannot reach the MCP server (${code})`);
  if (code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_'))
    return notSent(`TLS handshake with the MCP server failed (${code})`);
  if (code) return outcomeUnknown(`the connection failed during the call (${code})`);
  return outcomeUnknown(message);
}
