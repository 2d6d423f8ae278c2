// Traces of what the worker does (Temporal's OpenTelemetry interceptors: client, workflow, activity),
// exported where the operator points them, and off unless they do. Spans carry names and Temporal ids
// (workflow, run, activity type), never arguments or results, so no token or message body is in them.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { SettingsError } from '../config/settings-error';

export interface TraceSettings {
  /** OTLP over HTTP (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; the exporter reads the rest of OTEL_*). */
  otlp?: string;
  /** CONVEYOR_TRACES_FILE: one JSON span a line, appended (for a bench or a quick look without a collector). */
  file?: string;
  /** OTEL_SERVICE_NAME, default "conveyor-worker". */
  serviceName: string;
}

/** Where traces go, from the environment; undefined (no tracing) unless something is set. */
export function traceSettings(env: NodeJS.ProcessEnv = process.env): TraceSettings | undefined {
  const otlp = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  const file = env.CONVEYOR_TRACES_FILE || undefined;
  if (env.OTEL_TRACES_EXPORTER === 'none' || (!otlp && !file)) return undefined;
  const variable = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
    : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  if (otlp && !/^https?:\/\/\S+$/.test(otlp))
    throw new SettingsError(`${variable} '${otlp}' is not an http(s) URL (e.g. http://127.0.0.1:4318)`);
  return {
    ...(otlp ? { otlp } : {}),
    ...(file ? { file } : {}),
    serviceName: env.OTEL_SERVICE_NAME || 'conveyor-worker',
  };
}

/** One span as the file exporter writes it: times in epoch milliseconds. */
export interface SpanLine {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
}

const epochMs = ([seconds, nanos]: [number, number]) => seconds * 1000 + nanos / 1e6;

/** Appends spans to a file, one JSON object a line. */
export class FileSpanExporter implements SpanExporter {
  constructor(private readonly path: string) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      const lines = spans.map((span) => {
        const context = span.spanContext();
        const line: SpanLine = {
          name: span.name,
          traceId: context.traceId,
          spanId: context.spanId,
          ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
          startMs: epochMs(span.startTime),
          endMs: epochMs(span.endTime),
          attributes: { ...span.attributes },
        };
        return JSON.stringify(line) + '\n';
      });
      appendFileSync(this.path, lines.join(''));
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {}
}

export interface Tracing {
  /** Adds the client, workflow and activity interceptors to a worker (and its clients). */
  plugin: OpenTelemetryPlugin;
  /** Sends what is still buffered; call once the worker has stopped. */
  flush(): Promise<void>;
}

/**
 * A span with only its plain attributes: a workflow span arrives with the whole workflow info merged
 * into its attributes (memo, search attributes), which is neither needed nor a span attribute's type.
 */
function plainAttributes(span: ReadableSpan): ReadableSpan {
  const attributes = Object.fromEntries(
    Object.entries(span.attributes).filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value)),
  );
  return Object.create(span, { attributes: { value: attributes } }) as ReadableSpan;
}

/** The tracing plugin for these settings. */
export function tracing(settings: TraceSettings): Tracing {
  const processors: SpanProcessor[] = [];
  if (settings.otlp) processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  if (settings.file) processors.push(new SimpleSpanProcessor(new FileSpanExporter(settings.file)));
  const spanProcessor: SpanProcessor = {
    onStart: (span, context) => processors.forEach((p) => p.onStart(span, context)),
    onEnd: (span) => {
      const plain = plainAttributes(span);
      processors.forEach((p) => p.onEnd(plain));
    },
    forceFlush: async () => void (await Promise.all(processors.map((p) => p.forceFlush()))),
    shutdown: async () => void (await Promise.all(processors.map((p) => p.shutdown()))),
  };
  const resource = new Resource({ 'service.name': settings.serviceName });
  // Activity and client spans are made by this tracer; workflow spans reach the processor through a sink.
  const provider = new BasicTracerProvider({ resource });
  provider.addSpanProcessor(spanProcessor);
  const plugin = new OpenTelemetryPlugin({ resource, spanProcessor, tracer: provider.getTracer('conveyor') });
  return { plugin, flush: () => provider.forceFlush() };
}

/**
 * The workflow interceptors' module, for a workflow bundle built ahead (bench, Docker image): a worker
 * given such a bundle traces its workflows only if the bundle was built with it.
 */
export function workflowTracingModules(): string[] {
  return [createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];
}
