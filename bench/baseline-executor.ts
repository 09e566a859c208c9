// The yardstick: an in-process round runner without Temporal, run the way the reference system (OpenShift
// Lightspeed) runs a round: one process, one loop, tool calls of a step concurrently, every approval an
// in-memory promise with a timer, resolved by decide(). It calls the SAME activity functions as the worker
// (createActivities over the same McpClientPool and OpenAI client), each inside a MockActivityEnvironment
// so that Context.current() (heartbeats, cancellation signal) works as it does in a worker.
//
// It is not a product path: nothing here survives a restart, which is the point of the comparison.
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Logger } from '@temporalio/common';
import { argsDigest } from '../workflows/canonical-json.ts';
import {
  approvalIdFor,
  type ApprovalSummary,
  type ChatMessage,
  type LlmToolCall,
  type ToolDescriptor,
  type ToolgateActivities,
} from '../workflows/contract.ts';
import { expiredMessage, failedMessage, rejectedMessage } from '../workflows/model-messages.ts';
import { requiresApproval } from '../workflows/policy.ts';
import { buildToolDirectory, resolveToolCall, type ToolDirectory } from '../workflows/tool-names.ts';

const silentLogger: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export interface BaselineRoundResult {
  roundId: string;
  answer: string;
  steps: number;
  toolCalls: number;
}

interface PendingApproval {
  summary: ApprovalSummary;
  settle: (outcome: { decision: 'approve' | 'reject'; approver: string; reason?: string } | 'expired') => void;
}

export class BaselineExecutor {
  private readonly activities: ToolgateActivities;
  private readonly pending = new Map<string, PendingApproval>();
  /** Called when an approval opens (the reference system's `approval_required` event). */
  onApprovalRequired: ((approval: ApprovalSummary) => void) | undefined;

  constructor(activities: ToolgateActivities) {
    this.activities = activities;
  }

  /** Every activity runs in its own mock activity context, as each worker activity has its own. */
  private run<P extends unknown[], R>(fn: (...args: P) => Promise<R>, ...args: P): Promise<R> {
    return this.runIn(undefined, fn, ...args);
  }

  /** As run, as if a round's workflow had scheduled it: callTool takes its round from there. */
  private runIn<P extends unknown[], R>(
    roundId: string | undefined,
    fn: (...args: P) => Promise<R>,
    ...args: P
  ): Promise<R> {
    const info = roundId ? { workflowExecution: { workflowId: roundId, runId: randomUUID() } } : undefined;
    return new MockActivityEnvironment(info, { logger: silentLogger }).run(fn, ...args);
  }

  pendingApprovals(): ApprovalSummary[] {
    return [...this.pending.values()].map((entry) => entry.summary);
  }

  /** Resolves the in-memory approval; false when it is unknown or already closed (the reference answers 404/409). */
  decide(approvalId: string, decision: 'approve' | 'reject', approver: string, reason?: string): boolean {
    const entry = this.pending.get(approvalId);
    if (!entry) return false;
    this.pending.delete(approvalId);
    entry.settle({ decision, approver, ...(reason === undefined ? {} : { reason }) });
    return true;
  }

  async runRound(
    roundId: string,
    input: { query: string; requester: string; maxSteps?: number },
  ): Promise<BaselineRoundResult> {
    const catalog = await this.run(this.activities.listTools, {});
    const directory = buildToolDirectory(catalog.tools);
    const maxSteps = input.maxSteps ?? catalog.maxSteps;
    const messages: ChatMessage[] = [{ role: 'user', content: input.query }];
    let answer = '';
    let toolCalls = 0;
    let step = 1;
    for (; step <= maxSteps; step++) {
      const lastStep = step === maxSteps;
      const reply = await this.run(this.activities.callLlm, {
        messages,
        tools: directory.definitions,
        toolChoice: lastStep ? 'none' : 'auto',
      });
      if (reply.toolCalls.length === 0 || lastStep) {
        answer = reply.content ?? '';
        break;
      }
      messages.push({ role: 'assistant', content: reply.content, toolCalls: reply.toolCalls });
      toolCalls += reply.toolCalls.length;
      const contents = await Promise.all(
        reply.toolCalls.map((call, index) => this.runCall(roundId, step, index, call, directory, input.requester)),
      );
      reply.toolCalls.forEach((call, index) =>
        messages.push({ role: 'tool', toolCallId: call.id, content: contents[index]! }),
      );
    }
    return { roundId, answer, steps: Math.min(step, maxSteps), toolCalls };
  }

  private async runCall(
    roundId: string,
    step: number,
    callIndex: number,
    call: LlmToolCall,
    directory: ToolDirectory,
    requester: string,
  ): Promise<string> {
    const resolved = resolveToolCall(directory, call);
    if (!resolved.ok) return `${resolved.error} Do not retry this exact tool call.`;
    const { tool, args } = resolved;
    if (requiresApproval(tool, args)) {
      const outcome = await this.waitForApproval(roundId, step, callIndex, tool, args, requester);
      if (outcome === 'expired') return expiredMessage(tool.name, tool.policy.approvalTimeoutMs);
      if (outcome.decision === 'reject') return rejectedMessage(tool.name, outcome.approver, outcome.reason);
    }
    try {
      const result = await this.runIn(roundId, this.activities.callTool, {
        server: tool.server,
        tool: tool.name,
        arguments: args,
        roundId,
        toolCallId: call.id,
        timeoutMs: tool.policy.callTimeoutMs,
      });
      return result.text;
    } catch (error) {
      return failedMessage(tool.name, 1, error instanceof Error ? error.message : String(error));
    }
  }

  private waitForApproval(
    roundId: string,
    step: number,
    callIndex: number,
    tool: ToolDescriptor,
    args: Record<string, unknown>,
    requester: string,
  ): Promise<Parameters<PendingApproval['settle']>[0]> {
    const approvalId = approvalIdFor(roundId, step, callIndex);
    const openedAt = new Date();
    const summary: ApprovalSummary = {
      approvalId,
      roundId,
      step,
      server: tool.server,
      tool: tool.name,
      argsPreview: JSON.stringify(args).slice(0, 300),
      argsDigest: argsDigest(args),
      requester,
      approvers: tool.policy.approvers,
      allowSelfApproval: tool.policy.allowSelfApproval,
      openedAt: openedAt.toISOString(),
      expiresAt: new Date(openedAt.getTime() + tool.policy.approvalTimeoutMs).toISOString(),
    };
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(approvalId);
        resolve('expired');
      }, tool.policy.approvalTimeoutMs);
      timer.unref();
      this.pending.set(approvalId, {
        summary,
        settle: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      });
      this.onApprovalRequired?.(summary);
    });
  }
}
