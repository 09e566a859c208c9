// MCP tasks kept in Temporal (docs/gateway.md): a task is a gateway call's round and its id is the round id, so
// any replica answers tasks/get, tasks/result, tasks/list and tasks/cancel, before and after a restart, with no
// table of its own. One store per request, bound to the caller: a task is visible to the principal who created
// it only (the SDK's session id is absent in stateless mode; the principal takes its place).
import type { IncomingHttpHeaders } from 'node:http';
import type { CreateTaskOptions, TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type {
  CallToolRequest,
  CallToolResult,
  Request,
  RequestId,
  Result,
  Task,
} from '@modelcontextprotocol/sdk/types.js';
import { callResult, startCallRound } from './gateway-calls.ts';
import type { GatewayCatalog } from './gateway-catalog.ts';
import type { ApiContext } from './api-context.ts';
import { describeRound, type RoundFacts } from './round-facts.ts';
import { GATEWAY_ROUND_PREFIX, gatewayRoundPage } from './gateway-task-pages.ts';
import { taskTtl } from './gateway-task-ttl.ts';

/** How often a client polls tasks/get: approvals take minutes, not milliseconds. */
const POLL_INTERVAL_MS = 2000;

/** A cancelled round fails its workflow with the reason (Temporal says failed); the round's own status says cancelled. */
function taskStatus(facts: RoundFacts): Task['status'] {
  if (facts.executionStatus === 'running') return 'working';
  if (facts.status === 'cancelled' || facts.executionStatus === 'canceled') return 'cancelled';
  return facts.executionStatus === 'completed' ? 'completed' : 'failed';
}

function statusMessage(facts: RoundFacts): string | undefined {
  if (facts.executionStatus !== 'running') return undefined;
  const waiting = facts.pending[0];
  if (!waiting) return 'running';
  return `waiting for approval ${waiting.approvalId} of ${waiting.server}/${waiting.tool} by one of ${facts.approvers.join(', ')}`;
}

export class TemporalTaskStore implements TaskStore {
  private readonly context: ApiContext;
  private readonly principal: string;
  private readonly headers: IncomingHttpHeaders;
  private readonly catalog: GatewayCatalog;

  constructor(
    context: ApiContext,
    caller: { principal: string; headers: IncomingHttpHeaders },
    catalog: GatewayCatalog,
  ) {
    this.context = context;
    this.principal = caller.principal;
    this.headers = caller.headers;
    this.catalog = catalog;
  }

  /** Starts the call's round: the task is the round. */
  async createTask(_taskParams: CreateTaskOptions, _requestId: RequestId, request: Request): Promise<Task> {
    const params = (request as CallToolRequest).params;
    const server = await this.catalog.serverOf(params.name).catch(() => undefined);
    const roundId = await startCallRound(this.context, {
      principal: this.principal,
      headers: this.headers,
      name: params.name,
      arguments: params.arguments ?? {},
      ...(server ? { server } : {}),
    });
    const now = new Date().toISOString();
    return {
      taskId: roundId,
      status: 'working',
      // Not the ttl asked for: the task lives while its round runs, then as long as Temporal keeps it (taskTtl).
      ttl: null,
      createdAt: now,
      lastUpdatedAt: now,
      pollInterval: POLL_INTERVAL_MS,
    };
  }

  /** The caller's own gateway round, or undefined (another's task answers as one that does not exist). */
  private async facts(taskId: string): Promise<RoundFacts | undefined> {
    if (!taskId.startsWith(GATEWAY_ROUND_PREFIX)) return undefined;
    const facts = await describeRound(this.context, taskId);
    return facts?.requester === this.principal ? facts : undefined;
  }

  async getTask(taskId: string): Promise<Task | null> {
    const facts = await this.facts(taskId);
    if (!facts) return null;
    const description = await this.context.client.workflow.getHandle(taskId).describe();
    const message = statusMessage(facts);
    return {
      taskId,
      status: taskStatus(facts),
      ttl: await taskTtl(this.context, description.startTime, description.closeTime),
      createdAt: description.startTime.toISOString(),
      lastUpdatedAt: (description.closeTime ?? new Date()).toISOString(),
      pollInterval: POLL_INTERVAL_MS,
      ...(message ? { statusMessage: message } : {}),
    };
  }

  async getTaskResult(taskId: string): Promise<Result> {
    if (!(await this.facts(taskId))) throw new Error(`Task not found: ${taskId}`);
    return callResult(this.context, taskId);
  }

  /** The call's result once its round closes (awaited, not polled); undefined: no task of the caller's. */
  async awaitResult(taskId: string): Promise<CallToolResult | undefined> {
    return (await this.facts(taskId)) ? callResult(this.context, taskId) : undefined;
  }

  /** The workflow is the only writer of its state: nothing to store. */
  async storeTaskResult(): Promise<void> {}

  /** tasks/cancel: cancels the round (its open approval closes as cancelled; a running call is cancelled). */
  async updateTaskStatus(taskId: string, status: Task['status']): Promise<void> {
    if (status !== 'cancelled') return;
    if (!(await this.facts(taskId))) throw new Error(`Task not found: ${taskId}`);
    await this.context.client.workflow.getHandle(taskId).cancel();
  }

  /** The caller's gateway rounds in visibility's order (running first), api.gateway.tasksPerPage a page. */
  async listTasks(cursor?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const page = await gatewayRoundPage(this.context, this.principal, cursor, this.context.gateway.tasksPerPage);
    const tasks: Task[] = [];
    for (const roundId of page.roundIds) {
      const task = await this.getTask(roundId);
      if (task) tasks.push(task);
    }
    return { tasks, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }
}
