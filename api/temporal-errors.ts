// Maps Temporal client errors to API errors in one place. A fault (Temporal or the workers unavailable) is a
// 503 the client may retry; only what the client sent wrong is a 4xx.
import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { ApiError } from '../runtime/api-error.ts';

const GRPC = {
  cancelled: 1,
  unknown: 2,
  invalidArgument: 3,
  deadlineExceeded: 4,
  notFound: 5,
  resourceExhausted: 8,
  unavailable: 14,
} as const;

/** Every gRPC status code in the error's cause chain (the SDK wraps them in ServiceError and friends). */
function grpcCodes(error: unknown): number[] {
  const codes: number[] = [];
  for (let current: unknown = error, depth = 0; current && depth < 6; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/**
 * No worker answered within our deadline. A client-side deadline surfaces as DEADLINE_EXCEEDED, or as CANCELLED
 * ("Timeout expired") from the native connection, wrapped in the SDK's ServiceError.
 */
export function isWorkerTimeout(error: unknown): boolean {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const codes = grpcCodes(error);
  return codes.includes(GRPC.deadlineExceeded) || codes.includes(GRPC.cancelled);
}

export function isNotFound(error: unknown): boolean {
  return error instanceof WorkflowNotFoundError || grpcCodes(error).includes(GRPC.notFound);
}

export function isInvalidArgument(error: unknown): boolean {
  return grpcCodes(error).includes(GRPC.invalidArgument);
}

export function isUnknownServerError(error: unknown): boolean {
  return grpcCodes(error).includes(GRPC.unknown);
}

/** The Temporal service itself cannot be reached or is overloaded (restarting, partitioned): retry shortly. */
export function isTemporalUnavailable(error: unknown): boolean {
  const codes = grpcCodes(error);
  return codes.includes(GRPC.unavailable) || codes.includes(GRPC.resourceExhausted);
}

export function workerUnavailable(roundId: string): ApiError {
  return new ApiError(503, 'worker_unavailable', `No worker answered for round ${roundId} in time; try again`);
}

/** For operations that need a worker to answer (queries): a missing worker is a 503, not a 500. */
export function toApiError(error: unknown, roundId: string): unknown {
  if (error instanceof ApiError) return error;
  if (isNotFound(error)) return new ApiError(404, 'round_not_found', `Round ${roundId} not found`);
  if (isWorkerTimeout(error)) return workerUnavailable(roundId);
  return error;
}
