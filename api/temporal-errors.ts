// Maps Temporal client errors to API errors in one place.
import { isGrpcDeadlineError, isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { ApiError } from './api-error.ts';

export function isWorkerTimeout(error: unknown): boolean {
  return isGrpcDeadlineError(error) || error instanceof WorkflowUpdateRPCTimeoutOrCancelledError;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof WorkflowNotFoundError || (isGrpcServiceError(error) && error.code === 5);
}

const GRPC_UNAVAILABLE = 14;

/** The Temporal service itself cannot be reached (restarting, partitioned): the client should retry. */
export function isTemporalUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if ((current as { code?: unknown }).code === GRPC_UNAVAILABLE) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** For operations that need a worker to answer (queries): a missing worker is a 503, not a 500. */
export function toApiError(error: unknown, roundId: string): unknown {
  if (error instanceof ApiError) return error;
  if (isNotFound(error)) return new ApiError(404, 'round_not_found', `Round ${roundId} not found`);
  if (isWorkerTimeout(error)) {
    return new ApiError(503, 'worker_unavailable', `No worker answered for round ${roundId} in time; try again`);
  }
  return error;
}
