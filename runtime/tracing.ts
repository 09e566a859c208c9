// OpenTelemetry tracing of one process (worker or API), configured the standard way: by the OTEL_* variables.
// Off unless an OTLP endpoint is set; spans go out over OTLP/HTTP, protobuf or JSON.
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource, envDetectorSync } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface Tracing {
  resource: Resource;
  /** Where finished spans go: the process's own, and those the workflow sandbox hands over through its sink. */
  spanProcessor: SpanProcessor;
  /** The protocol and service name in effect, for the startup log line. */
  summary: { protocol: string; serviceName: string };
  /** Exports what is buffered, then stops. */
  shutdown(): Promise<void>;
}

export class TracingConfigError extends Error {}

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
type Protocol = (typeof PROTOCOLS)[number];

/** Whether the OTEL_* variables turn tracing on. */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

function protocolOf(env: NodeJS.ProcessEnv): Protocol {
  const variable = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = (env[variable] ?? 'http/protobuf').trim();
  if ((PROTOCOLS as readonly string[]).includes(protocol)) return protocol as Protocol;
  throw new TracingConfigError(
    `${variable}=${protocol} is not supported: use ${PROTOCOLS.join(' or ')} (OTLP over HTTP)`,
  );
}

/**
 * Starts tracing when the environment asks for it: registers the tracer provider, the W3C trace-context
 * propagator and the async-hooks context manager globally. The exporter reads its endpoint, headers and
 * timeout from the same variables; `serviceName` applies unless OTEL_SERVICE_NAME says otherwise.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  if (!tracingEnabled(env)) return undefined;
  const protocol = protocolOf(env);
  const resource = new Resource({ 'service.name': serviceName }).merge(envDetectorSync.detect());
  const exporter = protocol === 'http/json' ? new JsonTraceExporter() : new ProtobufTraceExporter();
  const spanProcessor = new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    resource,
    spanProcessor,
    summary: { protocol, serviceName: String(resource.attributes['service.name']) },
    shutdown: () => provider.shutdown(),
  };
}
