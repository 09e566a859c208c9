// Workflow interceptors of every bundle, traced or not (the bundle names the deployment version): the round's
// span and its activities' spans, exported through the `exporter` sink.
import type { WorkflowInterceptors } from '@temporalio/workflow';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';

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

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [new RoundInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
