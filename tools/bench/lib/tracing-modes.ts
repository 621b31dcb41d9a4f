export interface TracingMode {
  /** As the reports name it. */
  label: string;
  /** What the mode adds to the stack's environment. */
  env: Record<string, string>;
}

/**
 * The modes the tracing benchmarks compare, by the short names BENCH_MODES takes, exporting to
 * `endpoint`.
 */
export function tracingModes(endpoint: string): Map<string, TracingMode> {
  return new Map<string, TracingMode>([
    ['off', { label: 'off', env: {} }],
    ['100', { label: 'on, 100 %', env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_always_on' } }],
    ['10', { label: 'on, 10 %', env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } }],
    ['50', { label: 'on, 50 %', env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' } }],
    ['0', { label: 'on, 0 %', env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_always_off' } }],
  ]);
}

/** The modes BENCH_MODES names (all when unset), in the benchmarks' order. */
export function chosenModes(modes: Map<string, TracingMode>, list = process.env.BENCH_MODES): [string, TracingMode][] {
  const names = list?.split(',').map((name) => name.trim()) ?? [...modes.keys()];
  for (const name of names) if (!modes.has(name)) throw new Error(`BENCH_MODES names "${name}"; use a comma-separated list of ${[...modes.keys()].join(', ')}`);
  return [...modes].filter(([name]) => names.includes(name));
}
