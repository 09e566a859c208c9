// The sink through which the workflow sandbox hands its finished spans to the worker's span processor. Every
// worker and replayer registers it, traced or not: the bundle always carries the tracing interceptors.
import type { InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { makeWorkflowExporter, type OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { Tracing } from './tracing.ts';

/**
 * Only these facts of a round join its spans: the SDK's exporter would copy the whole WorkflowInfo, memo and
 * search attributes included (requesters, approvers, argument previews).
 */
function spanFacts(info: WorkflowInfo): WorkflowInfo {
  const facts = {
    'temporal.workflow_id': info.workflowId,
    'temporal.run_id': info.runId,
    'temporal.workflow_type': info.workflowType,
    'temporal.task_queue': info.taskQueue,
    'temporal.namespace': info.namespace,
  };
  return facts as unknown as WorkflowInfo;
}

export function workflowSpanSinks(tracing: Tracing | undefined): InjectedSinks<OpenTelemetrySinks> {
  if (!tracing) return { exporter: { export: { fn: () => undefined } } };
  const exporter = makeWorkflowExporter(tracing.spanProcessor, tracing.resource);
  return {
    exporter: { export: { fn: (info, spans) => exporter.export.fn(spanFacts(info), spans) } },
  };
}
