// Every run of a round id. A round id is reused once its run has closed (a raw start may do it), and a sealed
// value names the round id, not the run (Temporal assigns the run at start, after the value was sealed): who
// opens or uses it must look at each run.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';

const quoted = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The runs visibility holds for the round id, closed ones included. The newest run may not be listed yet. */
export async function listRuns(client: Client, roundId: string): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = ${quoted(roundId)}` })) runs.push(run);
  return runs;
}

/** What a run was started with (its first event), decoded; undefined when its history holds no input. */
export async function startInputOf(client: Client, roundId: string, runId: string): Promise<unknown> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId: roundId, runId },
    maximumPageSize: 1,
  });
  const payloads = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  if (!payloads?.length) return undefined;
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  let decoded = payloads;
  for (const codec of [...payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return payloadConverter.fromPayload(decoded[0]!);
}
