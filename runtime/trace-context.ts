// The trace an activity runs in, carried onto the wire of its LLM and MCP requests and recorded on its span.
import { context, propagation, trace, type Attributes } from '@opentelemetry/api';

/** W3C `traceparent` (and `tracestate`) of the active span; empty when tracing is off. */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}

/** Adds attributes to the activity's span, when there is one. */
export function describeActivitySpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}
