// Tracing follows the standard OTEL_* variables: on only with an OTLP endpoint, OTLP over HTTP only.
import { describe, expect, it } from 'vitest';
import { startTracing, tracingEnabled, TracingConfigError } from '../../runtime/tracing.ts';

describe('tracing configuration', () => {
  it('is off unless an OTLP endpoint is set, and when the SDK or the traces exporter is disabled', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(startTracing('toolgate-test', {})).toBeUndefined();
  });

  it('refuses a protocol other than OTLP over HTTP, naming the variable and the choices', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
    expect(() => startTracing('toolgate-test', env)).toThrow(TracingConfigError);
    expect(() => startTracing('toolgate-test', env)).toThrow(
      'OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: use http/protobuf or http/json (OTLP over HTTP)',
    );
    expect(() =>
      startTracing('toolgate-test', {
        ...env,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
      }),
    ).toThrow(/^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc is not supported/);
  });
});
