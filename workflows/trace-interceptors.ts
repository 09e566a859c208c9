// Workflow interceptors of every bundle, traced or not (the bundle names the deployment version): the round's
// span and its activities' spans, exported through the `exporter` sink.
// First: it gives the sandbox the `performance` the OpenTelemetry SDK reads when it is evaluated.
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import { SpanExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/span-exporter.js';
import { ProxyTracerProvider, TraceFlags, trace } from '@opentelemetry/api';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowInterceptors } from '@temporalio/workflow';

type Inbound = OpenTelemetryInboundInterceptor;

/**
 * Signals, updates and queries pass through untraced. The SDK traces them behind an SDK flag that a query
 * turns on outside any workflow task and that is then never written to history: an update is traced live and
 * not on replay, its commands come in another order, and the round fails with a nondeterminism error
 * (`Update machine does not handle this event: TimerCanceled`). The decision's own trace (API request, client
 * update) and the round's `approval wait` span, with outcome and channel, say what such a span would.
 */
class RoundInboundInterceptor extends OpenTelemetryInboundInterceptor {
  override handleSignal(...[input, next]: Parameters<Inbound['handleSignal']>) {
    return next(input);
  }
  override handleUpdate(...[input, next]: Parameters<Inbound['handleUpdate']>) {
    return next(input);
  }
  override validateUpdate(...[input, next]: Parameters<Inbound['validateUpdate']>) {
    next(input);
  }
  override handleQuery(...[input, next]: Parameters<Inbound['handleQuery']>) {
    return next(input);
  }
}

/**
 * Hands each ended span to the `exporter` sink at once, as the SDK's SimpleSpanProcessor does (its export runs in
 * the same call), without the three promises per span that one makes: the worker's promise hook captures a stack
 * trace of every promise made in workflow code, which made exporting 4.3 ms of worker CPU in every 3-step round,
 * traced or not. The spans, their order and the sink calls are the same.
 */
class SinkSpanProcessor implements SpanProcessor {
  private readonly exporter = new SpanExporter();
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.exporter.export([span], () => undefined);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export const interceptors = (): WorkflowInterceptors => {
  // The interceptors register the round's tracer provider (workflow modules are evaluated per round).
  const result = {
    inbound: [new RoundInboundInterceptor()],
    outbound: [new OpenTelemetryOutboundInterceptor()],
    internals: [new OpenTelemetryInternalsInterceptor()],
  };
  const registered = trace.getTracerProvider();
  const provider = registered instanceof ProxyTracerProvider ? registered.getDelegate() : registered;
  if (provider instanceof BasicTracerProvider) provider.activeSpanProcessor = new SinkSpanProcessor();
  return result;
};
