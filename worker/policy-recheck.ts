// A worker that starts with a changed policy configuration nudges the rounds of its task queue that wait for an
// approval opened (or last re-checked) under another one: a `policyChanged` signal each, at a bounded rate, with
// progress logged. The signal carries nothing; each round asks its worker for the current policies itself.
// Several workers starting at once may all nudge the same round: the round treats a repeat as nothing new.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { Memo, StatusAttribute, policyChangedSignal, type ApprovalSummary } from '../workflows/contract.ts';
import { CodecError, openPayload } from '../runtime/payload-codec.ts';

function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A waiting round and the summaries of its pending approvals, as its memo published them. */
export interface WaitingRound {
  roundId: string;
  /** Undefined: sealed with a codec key this worker lacks, so it cannot tell; the round decides. */
  pending: ApprovalSummary[] | undefined;
}

export interface RecheckProgress {
  /** Waiting rounds read from visibility. */
  seen: number;
  /** Nudged: some pending approval was opened or last re-checked under another configuration. */
  signalled: number;
  /** Already under this configuration. */
  current: number;
  /** The signal failed (the round closed meanwhile, or the server refused). */
  failed: number;
}

export interface Pace {
  now(): number;
  /** Resolves after `ms`, or at once when `abort` fires. */
  sleep(ms: number, abort: AbortSignal): Promise<void>;
}

const realPace: Pace = {
  now: () => Date.now(),
  sleep: (ms, abort) =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        abort.removeEventListener('abort', done);
        resolve();
      }
      abort.addEventListener('abort', done, { once: true });
    }),
};

/** Whether a round has an approval that this configuration has not yet seen. */
export function needsRecheck(round: WaitingRound, fingerprint: string): boolean {
  if (!round.pending) return true;
  return round.pending.some((summary) => (summary.policy?.recheckedOn ?? summary.policy?.startedOn) !== fingerprint);
}

/**
 * Nudges every round that needs it, at most `perSecond` signals a second (the first at once), logging progress
 * at most every `logEveryMs`. Returns what it did; stops early when `abort` fires.
 */
export async function nudgeRounds(options: {
  rounds: AsyncIterable<WaitingRound>;
  fingerprint: string;
  perSecond: number;
  signal: (roundId: string) => Promise<void>;
  progress: (progress: RecheckProgress, done: boolean) => void;
  abort: AbortSignal;
  pace?: Pace;
  logEveryMs?: number;
}): Promise<RecheckProgress> {
  const pace = options.pace ?? realPace;
  const gapMs = 1000 / options.perSecond;
  const logEveryMs = options.logEveryMs ?? 5000;
  const tally: RecheckProgress = { seen: 0, signalled: 0, current: 0, failed: 0 };
  let nextAt = pace.now();
  let loggedAt = pace.now();
  for await (const round of options.rounds) {
    if (options.abort.aborted) break;
    tally.seen++;
    if (!needsRecheck(round, options.fingerprint)) {
      tally.current++;
      continue;
    }
    const wait = nextAt - pace.now();
    if (wait > 0) await pace.sleep(wait, options.abort);
    if (options.abort.aborted) break;
    nextAt = Math.max(nextAt, pace.now()) + gapMs;
    try {
      await options.signal(round.roundId);
      tally.signalled++;
    } catch {
      tally.failed++;
    }
    if (pace.now() - loggedAt >= logEveryMs) {
      loggedAt = pace.now();
      options.progress({ ...tally }, false);
    }
  }
  options.progress({ ...tally }, true);
  return tally;
}

/** The running rounds of one task queue that wait for an approval, page by page from visibility. */
export async function* waitingRounds(
  client: Client,
  namespace: string,
  taskQueue: string,
): AsyncGenerator<WaitingRound> {
  const query = [
    'ExecutionStatus = "Running"',
    `TaskQueue = ${quoted(taskQueue)}`,
    `${StatusAttribute.name} = "waiting_approval"`,
  ].join(' AND ');
  let nextPageToken: Uint8Array | undefined;
  do {
    const response = await client.workflowService.listWorkflowExecutions({
      namespace,
      query,
      pageSize: 500,
      nextPageToken,
    });
    for (const execution of response.executions ?? []) {
      const roundId = execution.execution?.workflowId;
      const payload = execution.memo?.fields?.[Memo.pendingApprovals];
      if (!roundId || !payload) continue;
      try {
        const pending = await openPayload<ApprovalSummary[]>(client.options.loadedDataConverter, payload);
        yield { roundId, pending };
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        yield { roundId, pending: undefined };
      }
    }
    nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
  } while (nextPageToken);
}

export interface PolicyRecheck {
  /** Settles when the scan is over (finished, failed or stopped). */
  done: Promise<RecheckProgress | undefined>;
  stop(): Promise<void>;
}

/** Starts the scan in the background; a failure is logged, never fatal to the worker. */
export function startPolicyRecheck(options: {
  client: Client;
  namespace: string;
  taskQueue: string;
  fingerprint: string;
  perSecond: number;
  logger: Logger;
  pace?: Pace;
}): PolicyRecheck {
  const { client, logger, fingerprint } = options;
  const abort = new AbortController();
  logger.info({ fingerprint }, 'policy re-check: looking for rounds waiting under another configuration');
  const done = nudgeRounds({
    rounds: waitingRounds(client, options.namespace, options.taskQueue),
    fingerprint,
    perSecond: options.perSecond,
    abort: abort.signal,
    ...(options.pace ? { pace: options.pace } : {}),
    signal: async (roundId) => {
      await client.workflow.getHandle(roundId).signal(policyChangedSignal);
    },
    progress: (progress, finished) =>
      logger.info(
        { fingerprint, ...progress },
        finished ? 'policy re-check: waiting rounds nudged' : 'policy re-check: in progress',
      ),
  }).catch((error: unknown) => {
    logger.warn({ err: error, fingerprint }, 'policy re-check: scan failed; rounds re-check at the next start');
    return undefined;
  });
  return {
    done,
    async stop() {
      abort.abort();
      await done;
    },
  };
}
