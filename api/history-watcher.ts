// Wakes the event stream when a round's history grows: a long poll on GetWorkflowExecutionHistory with
// waitNewEvent, which the server answers as soon as a workflow task adds events. No fixed-interval polling.
import type { ApiContext } from './api-context.ts';

export type Wakeup = 'grown' | 'closed';

/**
 * Rejects as soon as `signal` aborts. A NativeConnection ignores abort signals (SDK 1.24), so without this a stream
 * whose client left would keep its slot and the open-streams gauge, polling again and again, until the round next
 * moves. The poll abandoned here ends by itself with the server's long-poll timeout.
 */
function unlessAborted<T>(signal: AbortSignal, call: Promise<T>): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const abandon = () => reject(signal.reason as Error);
    signal.addEventListener('abort', abandon, { once: true });
    void call.then(resolve, reject).finally(() => signal.removeEventListener('abort', abandon));
  });
}

export class HistoryWatcher {
  private readonly context: ApiContext;
  private readonly workflowId: string;
  private nextPageToken: Uint8Array | undefined;

  constructor(context: ApiContext, workflowId: string) {
    this.context = context;
    this.workflowId = workflowId;
  }

  /** Resolves once history has events not seen before, or when the workflow has closed and all were read. */
  async next(signal: AbortSignal): Promise<Wakeup> {
    for (;;) {
      const response = await unlessAborted(
        signal,
        this.context.client.withAbortSignal(signal, () =>
          this.context.client.workflowService.getWorkflowExecutionHistory({
            namespace: this.context.namespace,
            execution: { workflowId: this.workflowId },
            waitNewEvent: true,
            skipArchival: true,
            nextPageToken: this.nextPageToken,
          }),
        ),
      );
      const token = response.nextPageToken;
      this.nextPageToken = token && token.length > 0 ? token : undefined;
      if ((response.history?.events?.length ?? 0) > 0) return 'grown';
      if (!this.nextPageToken) return 'closed';
    }
  }
}
