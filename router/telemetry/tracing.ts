// OpenTelemetry traces of client connections, built from the core's diagnostics-channel events: the
// core imports no OTel code, and this module is loaded (by app.ts, dynamically) only when
// `[telemetry] otlp_endpoint` is set. One trace per connection:
//   passage.connection (accept → close; intent, route, protocol, outcome)
//     ├─ passage.handshake  (accept → handshake parsed)
//     ├─ passage.auth       (session server or cookie; its measured duration)
//     └─ events: transfer (route, target), disconnect (message key), error (stable code)
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Span, Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import { events, subscribe } from '../events.ts';
import type { EventChannel, EventMap, EventName, Published } from '../events.ts';
import { redactUrl } from '../redact-url.ts';

/** Connections traced at once; beyond this, new connections go untraced rather than grow memory. */
export const MAX_TRACED_CONNECTIONS = 50_000;
/** The exporter gives up on a collector that does not answer within this. */
export const OTLP_EXPORT_TIMEOUT_MS = 10_000;

export interface TelemetryOptions {
  readonly otlpEndpoint: string;
  readonly serviceName: string;
  readonly sampleRatio: number;
  readonly serviceVersion?: string;
  /** Replaces the batching OTLP processor (tests). */
  readonly spanProcessor?: SpanProcessor;
}

export interface ConnectionTracing extends AsyncDisposable {
  /** Unsubscribes, ends the spans of open connections and flushes what is buffered. Disposal does the same. */
  stop(): Promise<void>;
}

interface Traced {
  readonly root: Span;
  readonly openedAt: number;
}

export function startTracing(opts: TelemetryOptions, source: object, log: Logger): ConnectionTracing {
  const exporter = new OTLPTraceExporter({ url: opts.otlpEndpoint, timeoutMillis: OTLP_EXPORT_TIMEOUT_MS });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName, ...(opts.serviceVersion === undefined ? {} : { 'service.version': opts.serviceVersion }) }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.sampleRatio) }),
    spanProcessors: [opts.spanProcessor ?? new BatchSpanProcessor({ exporter, exportTimeoutMillis: OTLP_EXPORT_TIMEOUT_MS })],
  });
  const tracer: Tracer = provider.getTracer('passage', opts.serviceVersion);
  const open = new Map<number, Traced>();
  const unsubscribers: (() => void)[] = [];

  /** Only events of one connection: they carry its id. */
  type ConnectionEvent = { [N in EventName]: 'connectionId' extends keyof EventMap[N] ? N : never }[EventName];
  const on = <N extends ConnectionEvent>(ch: EventChannel<N>, fn: (m: Published<N>, traced: Traced | undefined) => void): void => {
    unsubscribers.push(subscribe(ch, source, (m) => {
      const id = (m as { readonly connectionId?: number }).connectionId;
      if (id !== undefined) fn(m, open.get(id));
    }));
  };
  const child = (parent: Traced, name: string, start: number, end: number, attributes: Record<string, string | number>): void => {
    const span = tracer.startSpan(name, { startTime: start, attributes }, trace.setSpan(context.active(), parent.root));
    span.end(end);
  };

  on(events.connectionOpened, (m) => {
    if (open.size >= MAX_TRACED_CONNECTIONS) return;
    const now = Date.now();
    const root = tracer.startSpan('passage.connection', { kind: SpanKind.SERVER, startTime: now, attributes: { 'client.address': m.remote } });
    if (!root.isRecording()) return; // not sampled: nothing to keep
    open.set(m.connectionId!, { root, openedAt: now });
  });
  on(events.handshake, (m, t) => {
    if (t === undefined) return;
    t.root.setAttributes({ 'minecraft.intent': m.intent, 'minecraft.protocol': m.protocol, ...(m.route === '' ? {} : { 'passage.route': m.route }) });
    child(t, 'passage.handshake', t.openedAt, Date.now(), { 'minecraft.intent': m.intent });
  });
  on(events.auth, (m, t) => {
    if (t === undefined) return;
    const end = Date.now();
    child(t, 'passage.auth', end - m.durationSeconds * 1000, end, { 'passage.auth.result': m.result });
  });
  on(events.transfer, (m, t) => {
    t?.root.addEvent('transfer', { 'passage.route': m.route, 'passage.target': m.target });
    t?.root.setAttribute('passage.target', m.target);
  });
  on(events.disconnect, (m, t) => t?.root.addEvent('disconnect', { 'passage.message': m.reason }));
  on(events.error, (m, t) => {
    t?.root.addEvent('error', { 'error.type': m.kind });
    t?.root.setStatus({ code: SpanStatusCode.ERROR, message: m.kind });
  });
  on(events.connectionClosed, (m, t) => {
    if (t === undefined) return;
    open.delete(m.connectionId!);
    t.root.setAttributes({ 'minecraft.intent': m.intent, 'passage.outcome': m.outcome });
    t.root.end();
  });

  log.info({ endpoint: redactUrl(opts.otlpEndpoint), sampleRatio: opts.sampleRatio }, 'tracing connections to OTLP');
  return {
    async stop(): Promise<void> {
      for (const u of unsubscribers.splice(0)) u();
      for (const t of open.values()) t.root.end();
      open.clear();
      try {
        await provider.shutdown();
      } catch (err) {
        log.warn({ err }, 'could not flush traces to the OTLP endpoint');
      }
    },
    [Symbol.asyncDispose](): Promise<void> {
      return this.stop();
    },
  };
}

