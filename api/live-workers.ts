// Where the workers serve rounds' live events: each worker advertises its live URL in its Temporal identity
// (` live=<url>`), and the pollers of the workflow task queue name every worker that can run a round's LLM call
// (local activities run where the workflow task runs). Asked of Temporal, not configured: workers come and go.
import protos from '@temporalio/proto'; // CommonJS without named exports Node can detect
import { liveUrlOf } from '../runtime/live-identity.ts';
import type { ApiContext } from './api-context.ts';

const { TaskQueueType } = protos.temporal.api.enums.v1;

/** How long one answer of Temporal is reused: every open stream asks, and workers change rarely. */
const CACHE_MS = 3_000;

export class LiveWorkers {
  readonly #context: Pick<ApiContext, 'client' | 'namespace' | 'taskQueue'>;
  #cached: { at: number; urls: Promise<string[]> } | undefined;

  constructor(context: Pick<ApiContext, 'client' | 'namespace' | 'taskQueue'>) {
    this.#context = context;
  }

  /** The live URLs of the workers polling the round task queue, at most {@link CACHE_MS} old. */
  urls(): Promise<string[]> {
    const now = Date.now();
    if (!this.#cached || now - this.#cached.at > CACHE_MS) {
      const urls = this.#describe();
      this.#cached = { at: now, urls };
      // A failed answer is not kept: the next caller asks again.
      urls.catch(() => {
        if (this.#cached?.urls === urls) this.#cached = undefined;
      });
    }
    return this.#cached.urls;
  }

  async #describe(): Promise<string[]> {
    const { pollers } = await this.#context.client.workflowService.describeTaskQueue({
      namespace: this.#context.namespace,
      taskQueue: { name: this.#context.taskQueue },
      taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    // A poller without one is an older worker: it runs rounds without streaming them.
    const urls = (pollers ?? []).map((poller) => liveUrlOf(poller.identity ?? '')).filter((url) => url !== undefined);
    return [...new Set(urls)];
  }
}
