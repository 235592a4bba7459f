// A small Prometheus registry: counters, gauges and histograms with labels, and the text
// exposition format (version 0.0.4). The sidecar used prom-client, which with its dependencies
// cost every pod about 10 MB of RSS for the few metrics it keeps; this is the part it used, with
// the same constructor options and methods, so a metric is declared as before.
import { monitorEventLoopDelay } from 'node:perf_hooks';

type Labels<L extends string> = Partial<Record<L, string | number>>;

export interface MetricValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
}

interface MetricOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
  readonly registers?: readonly Registry[];
}

abstract class Metric<L extends string> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  readonly #labelNames: readonly L[];

  constructor(options: MetricOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames ?? [];
    for (const r of options.registers ?? []) r.registerMetric(this);
  }

  /** A stable key for a label set, in declared label order; unknown label names are an error. */
  protected key(labels: Labels<L> | undefined): string {
    if (labels === undefined) return '';
    // Runs on every increment of every request: no arrays or closures, only the key itself.
    for (const k in labels) {
      if (!this.#labelNames.includes(k)) throw new Error(`metric ${this.name}: unknown label "${k}"`);
    }
    let key = '';
    for (let i = 0; i < this.#labelNames.length; i++) {
      const v = labels[this.#labelNames[i]!];
      key = `${i === 0 ? '' : `${key}\u0000`}${v === undefined ? '' : String(v)}`;
    }
    return key;
  }

  protected labelsOf(key: string): Record<string, string> {
    if (key === '') return {};
    const values = key.split('\u0000');
    const out: Record<string, string> = {};
    this.#labelNames.forEach((n, i) => {
      if (values[i] !== '') out[n] = values[i]!;
    });
    return out;
  }

  abstract values(): MetricValue[];
  abstract expose(): string;

  /** prom-client's shape: `{ values: [{ value, labels }] }`. */
  get(): Promise<{ values: MetricValue[] }> {
    return Promise.resolve({ values: this.values() });
  }

  protected header(): string {
    return `# HELP ${this.name} ${this.help.replace(/\\/gu, '\\\\').replace(/\n/gu, '\\n')}\n# TYPE ${this.name} ${this.type}\n`;
  }
}

function sample(name: string, labels: Record<string, string | number>, value: number): string {
  const entries = Object.entries(labels);
  const text = entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${String(v).replace(/\\/gu, '\\\\').replace(/\n/gu, '\\n').replace(/"/gu, '\\"')}"`).join(',')}}`;
  const num = Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  return `${name}${text} ${num}\n`;
}

class Scalar<L extends string> extends Metric<L> {
  readonly type: 'counter' | 'gauge';
  protected readonly map = new Map<string, number>();

  constructor(type: 'counter' | 'gauge', options: MetricOptions<L>) {
    super(options);
    this.type = type;
    // An unlabelled metric is exposed from the start, as 0.
    if ((options.labelNames ?? []).length === 0) this.map.set('', 0);
  }

  protected add(labelsOrValue: Labels<L> | number | undefined, value: number | undefined, sign: 1 | -1): void {
    const [labels, n] = typeof labelsOrValue === 'number' ? [undefined, labelsOrValue] : [labelsOrValue, value ?? 1];
    if (this.type === 'counter' && n < 0) throw new Error(`metric ${this.name}: a counter cannot decrease`);
    const k = this.key(labels);
    this.map.set(k, (this.map.get(k) ?? 0) + sign * n);
  }

  values(): MetricValue[] {
    return [...this.map].map(([k, value]) => ({ value, labels: this.labelsOf(k) }));
  }

  expose(): string {
    let out = this.header();
    for (const [k, v] of this.map) out += sample(this.name, this.labelsOf(k), v);
    return out;
  }
}

export class Counter<L extends string = string> extends Scalar<L> {
  constructor(options: MetricOptions<L>) {
    super('counter', options);
  }

  inc(labelsOrValue?: Labels<L> | number, value?: number): void {
    this.add(labelsOrValue, value, 1);
  }
}

export class Gauge<L extends string = string> extends Scalar<L> {
  constructor(options: MetricOptions<L>) {
    super('gauge', options);
  }

  set(labelsOrValue: Labels<L> | number, value?: number): void {
    const [labels, n] = typeof labelsOrValue === 'number' ? [undefined, labelsOrValue] : [labelsOrValue, value ?? 0];
    this.map.set(this.key(labels), n);
  }

  inc(labelsOrValue?: Labels<L> | number, value?: number): void {
    this.add(labelsOrValue, value, 1);
  }

  dec(labelsOrValue?: Labels<L> | number, value?: number): void {
    this.add(labelsOrValue, value, -1);
  }
}

interface Buckets {
  readonly counts: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string = string> extends Metric<L> {
  readonly type = 'histogram';
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, Buckets>();

  constructor(options: MetricOptions<L> & { readonly buckets: readonly number[] }) {
    super(options);
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
  }

  observe(labelsOrValue: Labels<L> | number, value?: number): void {
    const [labels, v] = typeof labelsOrValue === 'number' ? [undefined, labelsOrValue] : [labelsOrValue, value ?? 0];
    const k = this.key(labels);
    let s = this.#series.get(k);
    if (s === undefined) this.#series.set(k, (s = { counts: this.#bounds.map(() => 0), sum: 0, count: 0 }));
    // Counts per bucket, not cumulative: one increment per observation, summed at exposition.
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && !(v <= bounds[i]!)) i++;
    if (i < bounds.length) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }

  values(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const [k, s] of this.#series) {
      const labels = this.labelsOf(k);
      let cumulative = 0;
      this.#bounds.forEach((b, i) => {
        cumulative += s.counts[i]!;
        out.push({ value: cumulative, labels: { ...labels, le: b } });
      });
      out.push({ value: s.count, labels: { ...labels, le: '+Inf' } });
    }
    return out;
  }

  expose(): string {
    let out = this.header();
    for (const [k, s] of this.#series) {
      const labels = this.labelsOf(k);
      let cumulative = 0;
      this.#bounds.forEach((b, i) => {
        cumulative += s.counts[i]!;
        out += sample(`${this.name}_bucket`, { ...labels, le: b }, cumulative);
      });
      out += sample(`${this.name}_bucket`, { ...labels, le: '+Inf' }, s.count);
      out += sample(`${this.name}_sum`, labels, s.sum);
      out += sample(`${this.name}_count`, labels, s.count);
    }
    return out;
  }
}

export class Registry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  readonly #metrics = new Map<string, Metric<string>>();
  readonly #collectors: (() => void)[] = [];

  registerMetric(metric: Metric<string>): void {
    if (this.#metrics.has(metric.name)) throw new Error(`metric ${metric.name} is already registered`);
    this.#metrics.set(metric.name, metric);
  }

  /** Runs before each exposition: for values read on demand (process figures). */
  onCollect(collect: () => void): void {
    this.#collectors.push(collect);
  }

  /** One metric's exposition, as prom-client names it. */
  getSingleMetricAsString(name: string): Promise<string> {
    for (const c of this.#collectors) c();
    const m = this.#metrics.get(name);
    if (m === undefined) return Promise.reject(new Error(`no metric ${name}`));
    return Promise.resolve(m.expose().slice(0, -1)); // without the final newline, as prom-client gives it
  }

  /** A promise, as prom-client's is, so callers need not care which registry they hold. */
  metrics(): Promise<string> {
    for (const c of this.#collectors) c();
    let out = '';
    for (const m of this.#metrics.values()) out += m.expose();
    return Promise.resolve(out);
  }
}

/** The process figures a dashboard expects of a Node service, under `prefix`, read on each scrape. */
export function collectProcessMetrics(registry: Registry, prefix: string): void {
  const gauge = (name: string, help: string): Gauge => new Gauge({ name: prefix + name, help, registers: [registry] });
  const cpuUser = new Counter({ name: `${prefix}process_cpu_user_seconds_total`, help: 'User CPU time spent, in seconds.', registers: [registry] });
  const cpuSystem = new Counter({ name: `${prefix}process_cpu_system_seconds_total`, help: 'System CPU time spent, in seconds.', registers: [registry] });
  const rss = gauge('process_resident_memory_bytes', 'Resident memory size, in bytes.');
  const start = gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.');
  const heapTotal = gauge('nodejs_heap_size_total_bytes', 'V8 heap size, in bytes.');
  const heapUsed = gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.');
  const external = gauge('nodejs_external_memory_bytes', 'Memory held outside the V8 heap (buffers), in bytes.');
  const lag = gauge('nodejs_eventloop_lag_p99_seconds', 'Event loop delay, 99th percentile since the last scrape, in seconds.');
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  start.set(Math.round(Date.now() / 1000 - process.uptime()));
  let lastCpu = process.cpuUsage();
  registry.onCollect(() => {
    const cpu = process.cpuUsage();
    cpuUser.inc((cpu.user - lastCpu.user) / 1e6);
    cpuSystem.inc((cpu.system - lastCpu.system) / 1e6);
    lastCpu = cpu;
    const mem = process.memoryUsage();
    rss.set(mem.rss);
    heapTotal.set(mem.heapTotal);
    heapUsed.set(mem.heapUsed);
    external.set(mem.external);
    lag.set(delay.percentile(99) / 1e9);
    delay.reset();
  });
}
