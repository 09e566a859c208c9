// Spans of a round's own structure (steps, tool calls, approval waits), children of the interceptors'
// RunWorkflow span, parents of the activities scheduled inside them. Deterministic: ids come from the
// workflow's seeded random and times from workflow time, and spans make no commands, so replay holds; the
// sink exports them once, never on replay. Without tracing they go to a sink that drops them.
import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

const TRACER = 'toolgate';

/**
 * Runs `work` in a span named `name`; `outcome` adds what the result says. An error marks the span and goes
 * on.
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
  outcome?: (result: T) => Attributes,
): Promise<T> {
  return trace.getTracer(TRACER).startActiveSpan(name, { attributes }, async (span: Span) => {
    try {
      const result = await work();
      if (outcome) span.setAttributes(outcome(result));
      return result;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Adds attributes to the span the workflow is in (the round's RunWorkflow span outside any step). */
export function describeSpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}
