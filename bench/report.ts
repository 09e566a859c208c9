// The bench's output: one JSON document (bench/results/) and the same numbers as markdown tables.
import type { DecisionLatencyResult } from './scenarios/decision-latency.ts';
import { DECISION_STAGES } from './decision-stages.ts';
import type { GatewayResult } from './scenarios/gateway.ts';
import type { ScaleOutResult } from './scenarios/scale-out.ts';
import type { PendingApprovalsResult } from './scenarios/pending-approvals.ts';
import type { BusyReadResult } from './scenarios/busy-read.ts';
import type { LimitChecksResult } from './scenarios/limit-checks.ts';
import type { RoundLatencyResult } from './scenarios/round-latency.ts';
import type { StreamingResult } from './scenarios/streaming.ts';
import type { ThroughputResult } from './scenarios/throughput.ts';
import type { WorkerStartResult } from './scenarios/worker-start.ts';
import { ratio } from './stats.ts';
import type { MachineInfo } from './system.ts';

export interface BenchResult {
  kind: 'toolgate-bench';
  mode: 'quick' | 'full';
  startedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  settings: Record<string, unknown>;
  roundLatency?: RoundLatencyResult[];
  busyRead?: BusyReadResult;
  decisionLatency?: DecisionLatencyResult[];
  throughput?: ThroughputResult[];
  pendingApprovals?: PendingApprovalsResult;
  limitChecks?: LimitChecksResult;
  streaming?: StreamingResult;
  gateway?: GatewayResult;
  workerStart?: WorkerStartResult;
  scaleOut?: ScaleOutResult;
  targets: Target[];
}

export interface Target {
  what: string;
  target: string;
  measured: string;
  met: boolean;
}

const ms = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? 'n/a' : value < 10 ? value.toFixed(2) : value.toFixed(1);
const x = (value: number | null): string => (value === null ? 'n/a' : `${value.toFixed(2)}x`);
const mem = (value: { rssMb: number; peakMb: number } | undefined): string =>
  value ? `${value.rssMb.toFixed(0)} MB (peak ${value.peakMb.toFixed(0)})` : 'n/a';

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

export function targetsOf(result: Omit<BenchResult, 'targets'>): Target[] {
  const targets: Target[] = [];
  if (result.streaming) {
    targets.push({
      what: 'first token at the client after the model wrote it, p50',
      target: '<= 100 ms',
      measured: `${ms(result.streaming.firstToken.p50)} ms`,
      met: result.streaming.firstToken.p50 <= 100,
    });
  }
  const http = result.decisionLatency?.find((entry) => entry.path === 'http');
  if (http) {
    targets.push({
      what: 'decision -> call p50 (HTTP API)',
      target: '<= 15 ms',
      measured: `${ms(http.toCall.p50)} ms`,
      met: http.toCall.p50 <= 15,
    });
    targets.push({
      what: 'decision -> call p99 (HTTP API)',
      target: '<= 40 ms',
      measured: `${ms(http.toCall.p99)} ms`,
      met: http.toCall.p99 <= 40,
    });
  }
  for (const entry of result.roundLatency ?? []) {
    if (entry.llmDelayMs === 0) {
      targets.push({
        what: '3-step round, LLM 0 ms, p50',
        target: '<= 90 ms',
        measured: `${ms(entry.toolgate.p50)} ms`,
        met: entry.toolgate.p50 <= 90,
      });
      targets.push({
        what: 'toolgate above bare Temporal, LLM 0 ms, p50',
        target: 'below (< 0 %)',
        measured: `${(entry.aboveBareP50 * 100).toFixed(0)} %`,
        met: entry.aboveBareP50 < 0,
      });
    } else {
      const times = entry.toolgate.p50 / entry.baseline.p50;
      targets.push({
        what: `3-step round, LLM ${entry.llmDelayMs} ms, p50`,
        target: '<= 1.25x baseline',
        measured: x(times),
        met: times <= 1.25,
      });
    }
  }
  const costs = result.roundLatency?.find((entry) => entry.llmDelayMs === 0)?.historyCosts;
  if (costs) {
    const own = costs.toolgate;
    targets.push({
      what: `worker: workflow task STARTED -> COMPLETED, LLM 0 ms, p50 (${own.workflowTasks.p50} per round)`,
      target: '<= 15 ms',
      measured: `${ms(own.workflowTask.p50)} ms`,
      met: own.workflowTask.p50 <= 15,
    });
    if (own.activity.n)
      targets.push({
        what: 'worker: `callTool` activity STARTED -> COMPLETED, p50',
        target: '<= 8 ms',
        measured: `${ms(own.activity.p50)} ms`,
        met: own.activity.p50 <= 8,
      });
    targets.push({
      what: "worker's time per round (tasks + activities), LLM 0 ms, p50",
      target: `<= bare Temporal's (${ms(costs.bare.workerMs.p50)} ms)`,
      measured: `${ms(own.workerMs.p50)} ms`,
      met: own.workerMs.p50 <= costs.bare.workerMs.p50,
    });
  }
  if (result.busyRead) {
    targets.push({
      what: `round state read during a ${result.busyRead.llmDelayMs} ms LLM call, p50 / p99`,
      target: '<= 250 ms',
      measured: `${ms(result.busyRead.reads.p50)} / ${ms(result.busyRead.reads.p99)} ms (${result.busyRead.partial} of ${result.busyRead.reads.n} partial)`,
      met: result.busyRead.reads.p99 <= 250,
    });
  }
  const at16 = result.throughput?.find((entry) => entry.concurrency === 16);
  if (at16) {
    targets.push({
      what: 'throughput at concurrency 16',
      target: '>= 50 rounds/s',
      measured: `${at16.toolgate.roundsPerSecond.toFixed(1)} rounds/s`,
      met: at16.toolgate.roundsPerSecond >= 50,
    });
  }
  const pending = result.pendingApprovals;
  if (pending) {
    const worker = pending.toolgate.memoryPending.worker?.rssMb ?? Number.NaN;
    const opened = pending.rounds / pending.toolgate.secondsToPending;
    targets.push(
      {
        what: `${pending.rounds} pending approvals: worker RSS`,
        target: '<= 300 MB',
        measured: `${worker.toFixed(0)} MB`,
        met: worker <= 300,
      },
      {
        what: `${pending.rounds} pending approvals: opened (10,000 in 120 s)`,
        target: '>= 83 /s',
        measured: `${opened.toFixed(1)} /s (${pending.toolgate.secondsToPending.toFixed(1)} s)`,
        met: opened >= 10_000 / 120,
      },
      {
        what: `${pending.rounds} pending approvals: decided`,
        target: '>= 100 /s',
        measured: `${pending.toolgate.decisionsPerSecond.toFixed(1)} /s`,
        met: pending.toolgate.decisionsPerSecond >= 100,
      },
    );
  }
  const start = result.workerStart;
  if (start?.warm.readyMs.n) {
    targets.push({
      what: 'worker ready after spawn, warm bundle cache, p50',
      target: '<= 3 s',
      measured: `${(start.warm.readyMs.p50 / 1000).toFixed(2)} s`,
      met: start.warm.readyMs.p50 <= 3000,
    });
    targets.push({
      what: `worker RSS ${start.idleSeconds} s idle after ready, warm bundle cache, p50`,
      target: '<= 200 MB',
      measured: `${start.warm.idleRssMb.p50.toFixed(0)} MB`,
      met: start.warm.idleRssMb.p50 <= 200,
    });
  }
  return targets;
}

export function toMarkdown(result: BenchResult): string {
  const out: string[] = [];
  const m = result.machine;
  out.push(
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb} GB, Linux ${m.kernel}; Node ${m.node}; Temporal CLI ${m.temporalCli}; ` +
      `TypeScript SDK ${m.temporalSdk}; MCP SDK ${m.mcpSdk}. Mode: ${result.mode}, ${result.durationSeconds.toFixed(0)} s.`,
  );
  const s = result.settings as {
    devServer?: string;
    cluster?: string;
    worker?: string;
    api?: string;
    baseline?: string;
  };
  for (const line of [s.devServer, s.cluster, s.worker, s.api, s.baseline]) if (line) out.push(line);

  if (result.roundLatency?.length) {
    out.push('', `**Round latency**, sequential rounds: ${String(result.settings.roundShape)} (ms)`, '');
    out.push(
      table(
        [
          'LLM latency',
          'rounds',
          'in-process baseline p50 / p99',
          'bare Temporal p50 / p99',
          'toolgate p50 / p99',
          'toolgate traced p50 / p99',
          'tracing overhead (p50)',
          'toolgate / baseline (p50)',
          'toolgate above bare (p50)',
          'overhead / tool call vs baseline (p50; mean)',
        ],
        result.roundLatency.map((entry) => [
          `${entry.llmDelayMs} ms`,
          String(entry.rounds),
          `${ms(entry.baseline.p50)} / ${ms(entry.baseline.p99)}`,
          `${ms(entry.bare.p50)} / ${ms(entry.bare.p99)}`,
          `${ms(entry.toolgate.p50)} / ${ms(entry.toolgate.p99)}`,
          `${ms(entry.traced.p50)} / ${ms(entry.traced.p99)}`,
          `${(entry.tracingOverheadP50 * 100).toFixed(0)} %`,
          x(ratio(entry.toolgate.p50, entry.baseline.p50)),
          `${(entry.aboveBareP50 * 100).toFixed(0)} %`,
          `${ms(entry.overheadPerToolCallMs.p50)}; ${ms(entry.overheadPerToolCallMs.mean)}`,
        ]),
      ),
    );
  }

  const costs = result.roundLatency?.filter((entry) => entry.historyCosts);
  if (costs?.length) {
    out.push(
      '',
      "**Worker's own cost per task and per activity**, from the measured rounds' histories (ms, p50 / p90; " +
        'workflow task STARTED -> COMPLETED, holding its local LLM call; tool-call activity STARTED -> COMPLETED: ' +
        'toolgate `callTool`, bare `noop`)',
      '',
    );
    out.push(
      table(
        [
          'LLM latency',
          'system',
          'rounds',
          'workflow task p50 / p90',
          'tool-call activity p50 / p90 (n)',
          'events per round p50',
          'workflow tasks per round p50',
          "worker's time per round p50",
        ],
        costs.flatMap((entry) =>
          (['toolgate', 'bare'] as const).map((system) => {
            const c = entry.historyCosts[system];
            return [
              `${entry.llmDelayMs} ms`,
              system === 'bare' ? 'bare Temporal' : 'toolgate',
              String(c.rounds),
              `${ms(c.workflowTask.p50)} / ${ms(c.workflowTask.p90)}`,
              c.activity.n ? `${ms(c.activity.p50)} / ${ms(c.activity.p90)} (${c.activity.n})` : 'none',
              String(c.events.p50),
              String(c.workflowTasks.p50),
              ms(c.workerMs.p50),
            ];
          }),
        ),
      ),
    );
  }

  if (result.decisionLatency?.length) {
    const baseline = result.decisionLatency.find((entry) => entry.path === 'baseline');
    const label: Record<string, string> = {
      baseline: 'baseline: in-memory decide()',
      http: 'toolgate: POST /v1/approvals/{id} (API -> update)',
      update: 'toolgate: Temporal client executeUpdate(decide)',
      signal: 'toolgate: Temporal client signal(decide)',
    };
    out.push('', '**Decision -> tool call received by the MCP server** (ms; sequential probes)', '');
    out.push(
      table(
        ['path', 'decisions', 'p50', 'p90', 'p99', 'max', 'ratio p50', 'sender answered p50 / p99'],
        result.decisionLatency.map((entry) => [
          label[entry.path] ?? entry.path,
          String(entry.decisions),
          ms(entry.toCall.p50),
          ms(entry.toCall.p90),
          ms(entry.toCall.p99),
          ms(entry.toCall.max),
          entry.path === 'baseline' || !baseline ? '' : x(ratio(entry.toCall.p50, baseline.toCall.p50)),
          `${ms(entry.ack.p50)} / ${ms(entry.ack.p99)}`,
        ]),
      ),
    );
    const staged = result.decisionLatency.filter((entry) => entry.stages);
    if (staged.length) {
      out.push('', "Where a decision's time goes, from each round's history (ms, p50 / p99)", '');
      out.push(
        table(
          ['stage', ...staged.map((entry) => entry.path)],
          DECISION_STAGES.map((stage) => [
            stage,
            ...staged.map((entry) => `${ms(entry.stages![stage].p50)} / ${ms(entry.stages![stage].p99)}`),
          ]),
        ),
      );
    }
  }

  if (result.throughput?.length) {
    out.push('', `**Throughput**, closed loop: ${String(result.settings.throughputShape)}, LLM latency 0 ms`, '');
    out.push(
      table(
        [
          'concurrency',
          'baseline rounds/s',
          'toolgate rounds/s',
          'ratio',
          'baseline latency p50 / p99',
          'toolgate latency p50 / p99',
          'toolgate CPU % (bench, worker, dev server, API)',
          'failed',
        ],
        result.throughput.map((entry) => [
          String(entry.concurrency),
          entry.baseline.roundsPerSecond.toFixed(1),
          entry.toolgate.roundsPerSecond.toFixed(1),
          x(ratio(entry.toolgate.roundsPerSecond, entry.baseline.roundsPerSecond)),
          `${ms(entry.baseline.latency.p50)} / ${ms(entry.baseline.latency.p99)}`,
          `${ms(entry.toolgate.latency.p50)} / ${ms(entry.toolgate.latency.p99)}`,
          ['bench', 'worker', 'devServer', 'api']
            .map((name) => String(entry.toolgate.cpuPercent[name] ?? 'n/a'))
            .join(', '),
          String(entry.baseline.failed + entry.toolgate.failed),
        ]),
      ),
    );
  }

  const pending = result.pendingApprovals;
  if (pending) {
    const b = pending.baseline;
    const t = pending.toolgate;
    out.push('', `**${pending.rounds} rounds each holding a pending approval**`, '');
    out.push(
      table(
        ['', 'baseline (in the bench process)', 'toolgate'],
        [
          ['time until all pending', `${b.secondsToPending.toFixed(1)} s`, `${t.secondsToPending.toFixed(1)} s`],
          [
            'memory with all pending',
            `bench process RSS +${b.benchProcessRssMb.delta.toFixed(0)} MB (heap +${b.heapUsedMb.delta.toFixed(0)} MB)`,
            `worker ${mem(t.memoryPending.worker)}; API ${mem(t.memoryPending.api)}; dev server ${mem(t.memoryPending.devServer)}`,
          ],
          [
            'memory idle (before)',
            `bench process RSS ${b.benchProcessRssMb.before.toFixed(0)} MB`,
            `worker ${mem(t.memoryIdle.worker)}; API ${mem(t.memoryIdle.api)}; dev server ${mem(t.memoryIdle.devServer)}`,
          ],
          [
            'list pending: first page',
            `${ms(b.listFirstPageMs)} ms (100)`,
            `${ms(t.listFirstPage.firstMs)} ms first call, p50 ${ms(t.listFirstPage.samples.p50)} ms (pageSize ${t.listFirstPage.pageSize})`,
          ],
          [
            'list pending: all pages',
            `${ms(b.listAllMs)} ms`,
            `${ms(t.listAll.ms)} ms (${t.listAll.pages} pages of ${t.listAll.pageSize}, ${t.listAll.approvals} approvals)`,
          ],
          [
            'decide all (32 in flight)',
            `${b.decideAllSeconds.toFixed(1)} s (${b.decisionsPerSecond.toFixed(0)}/s)`,
            `${t.decideAllSeconds.toFixed(1)} s (${t.decisionsPerSecond.toFixed(0)}/s), all rounds completed after ${t.secondsUntilAllCompleted.toFixed(1)} s`,
          ],
          [
            'decision -> call under that load p50 / p99',
            `${ms(b.decisionToCall.p50)} / ${ms(b.decisionToCall.p99)} ms`,
            `${ms(t.decisionToCall.p50)} / ${ms(t.decisionToCall.p99)} ms (HTTP answered p50 ${ms(t.decisionAck.p50)} ms)`,
          ],
          [
            'memory after all completed',
            '',
            `worker ${mem(t.memoryAfter.worker)}; API ${mem(t.memoryAfter.api)}; dev server ${mem(t.memoryAfter.devServer)}`,
          ],
        ],
      ),
    );
  }

  const limits = result.limitChecks;
  if (limits) {
    out.push(
      '',
      `**POST /v1/rounds with the limit checks on and off** (ms; ${limits.starts} starts each, alternating; ` +
        `${limits.roundsInPeriod} rounds of the requester in the quota period)`,
      '',
    );
    out.push(
      table(
        ['limits', 'p50', 'p90', 'p99', 'max'],
        [
          [
            'off (`limits.enabled: false`)',
            ms(limits.off.p50),
            ms(limits.off.p90),
            ms(limits.off.p99),
            ms(limits.off.max),
          ],
          ['on (defaults, budgets raised)', ms(limits.on.p50), ms(limits.on.p90), ms(limits.on.p99), ms(limits.on.max)],
          ['added by the checks', ms(limits.on.p50 - limits.off.p50), '', ms(limits.on.p99 - limits.off.p99), ''],
        ],
      ),
    );
  }

  const live = result.streaming;
  if (live) {
    out.push(
      '',
      `**Live tokens**: model chunk written → token event at an SSE client of the API (ms; ${live.rounds} rounds of ` +
        `${live.tokensPerRound} tokens; ${live.complete} clients got every token in order before llm_step; a ` +
        `streamed round's history: ${live.history.events} events, ${live.history.bytes} bytes)`,
      '',
    );
    out.push(
      table(
        ['', 'n', 'p50', 'p90', 'p99', 'max'],
        [live.firstToken, live.perToken].map((entry, index) => [
          index === 0 ? 'first token' : 'every token (added per token)',
          String(entry.n),
          ms(entry.p50),
          ms(entry.p90),
          ms(entry.p99),
          ms(entry.max),
        ]),
      ),
    );
  }

  const gateway = result.gateway;
  if (gateway) {
    out.push(
      '',
      `**MCP gateway**: tools/call with the MCP SDK Client over Streamable HTTP, straight to the MCP server and ` +
        `through the API's /mcp (a round without an LLM), ${gateway.calls} sequential calls each, alternating (ms)`,
      '',
    );
    const rows = [
      ['read-only `echo`, direct', gateway.direct],
      ['read-only `k8s__echo`, through the gateway', gateway.gateway],
      ...(gateway.gated
        ? ([
            ['gated `k8s__delete_pod`: approval POST -> MCP server receives the call', gateway.gated.decisionToCall],
            ['gated `k8s__delete_pod`: approval POST -> result at the client', gateway.gated.decisionToResult],
          ] as const)
        : []),
    ] as const;
    out.push(
      table(
        ['', 'n', 'p50', 'p90', 'p99', 'max'],
        [
          ...rows.map(([label, entry]) => [
            label,
            String(entry.n),
            ms(entry.p50),
            ms(entry.p90),
            ms(entry.p99),
            ms(entry.max),
          ]),
          ['added by the gateway (read-only)', '', ms(gateway.addedMs.p50), '', ms(gateway.addedMs.p99), ''],
        ],
      ),
    );
  }

  const start = result.workerStart;
  if (start) {
    out.push(
      '',
      `**Worker start**: worker/main.ts spawned on a task queue of its own, on an empty workflow-bundle cache ` +
        `(cold: it runs webpack) and on the cache the cold start left (warm); RSS after ${start.idleSeconds} s idle`,
      '',
    );
    out.push(
      table(
        ['cache', 'bundled', 'spawn -> "worker running"', 'CPU until then', 'idle RSS', 'peak RSS'],
        start.runs.map((run) => [
          run.cache,
          run.bundled ? 'yes' : 'no',
          `${ms(run.readyMs)} ms`,
          `${ms(run.cpuMsToReady)} ms`,
          `${run.idleRssMb.toFixed(0)} MB`,
          `${run.peakRssMb.toFixed(0)} MB`,
        ]),
      ),
    );
  }

  const scale = result.scaleOut;
  if (scale) {
    out.push(
      '',
      `**Scale-out on the cluster**, closed loop at concurrency ${scale.concurrency}: ` +
        `${String(result.settings.throughputShape)}, LLM latency 0 ms; CPU % of one core during the measured phase`,
      '',
    );
    out.push(
      table(
        [
          'history shards',
          'workers',
          'rounds/s',
          'latency p50 / p99',
          'CPU % workers (each)',
          'frontend, history, matching, worker service',
          'PostgreSQL',
          'bench',
          'total',
          'CPU ms per round: total (workers)',
          'load before',
          'failed',
        ],
        scale.cells.map((cell) => {
          const cpu = (name: string): string => String(cell.cpuPercent[name] ?? 'n/a');
          const each = Array.from({ length: cell.workers }, (_, index) => cpu(`worker ${index + 1}`));
          return [
            String(cell.historyShards),
            String(cell.workers),
            cell.roundsPerSecond.toFixed(1),
            `${ms(cell.latency.p50)} / ${ms(cell.latency.p99)}`,
            `${cpu('workers')} (${each.join(', ')})`,
            ['frontend', 'history', 'matching', 'worker'].map(cpu).join(', '),
            cpu('postgres'),
            cpu('bench'),
            cpu('total'),
            `${ms(cell.cpuMsPerRound.total)} (${ms(cell.cpuMsPerRound.workers)})`,
            cell.loadBefore.join(' '),
            String(cell.failed),
          ];
        }),
      ),
    );
  }

  if (result.targets.length) {
    out.push('', '**Targets**', '');
    out.push(
      table(
        ['what', 'target', 'measured', 'met'],
        result.targets.map((entry) => [entry.what, entry.target, entry.measured, entry.met ? 'yes' : 'no']),
      ),
    );
  }
  return out.join('\n');
}
