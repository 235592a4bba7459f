// The sidecar's own Prometheus registry: what a scraper reads must be the text exposition format
// exactly, since dashboards and alerts depend on the names, labels and cumulative buckets.
import { expect } from 'chai';
import { Counter, Gauge, Histogram, Registry, collectProcessMetrics } from '../../sidecar/admin/prometheus.ts';

describe('sidecar/admin/prometheus', () => {
  it('exposes counters, gauges and histograms in the text format, buckets cumulative', async () => {
    const r = new Registry();
    const requests = new Counter({ name: 'req_total', help: 'Requests.', labelNames: ['kind', 'decision'] as const, registers: [r] });
    const up = new Gauge({ name: 'up', help: 'Up.', registers: [r] });
    const dur = new Histogram({ name: 'dur_seconds', help: 'Duration.', labelNames: ['kind'] as const, buckets: [0.1, 0.01, 1], registers: [r] });
    requests.inc({ kind: 'mcp', decision: 'allow' });
    requests.inc({ kind: 'mcp', decision: 'allow' }, 2);
    requests.inc({ kind: 'egress', decision: 'deny' });
    up.set(1);
    dur.observe({ kind: 'mcp' }, 0.005);
    dur.observe({ kind: 'mcp' }, 0.05);
    dur.observe({ kind: 'mcp' }, 5);
    expect(await r.metrics()).to.equal(
      [
        '# HELP req_total Requests.',
        '# TYPE req_total counter',
        'req_total{kind="mcp",decision="allow"} 3',
        'req_total{kind="egress",decision="deny"} 1',
        '# HELP up Up.',
        '# TYPE up gauge',
        'up 1',
        '# HELP dur_seconds Duration.',
        '# TYPE dur_seconds histogram',
        'dur_seconds_bucket{kind="mcp",le="0.01"} 1',
        'dur_seconds_bucket{kind="mcp",le="0.1"} 2',
        'dur_seconds_bucket{kind="mcp",le="1"} 2',
        'dur_seconds_bucket{kind="mcp",le="+Inf"} 3',
        'dur_seconds_sum{kind="mcp"} 5.055',
        'dur_seconds_count{kind="mcp"} 3',
        '',
      ].join('\n'),
    );
    expect((await requests.get()).values).to.deep.equal([
      { value: 3, labels: { kind: 'mcp', decision: 'allow' } },
      { value: 1, labels: { kind: 'egress', decision: 'deny' } },
    ]);
  });

  it('escapes label values, refuses unknown labels, a falling counter and a second metric of one name', async () => {
    const r = new Registry();
    const c = new Counter({ name: 'c_total', help: 'A "help"\nline.', labelNames: ['reason'] as const, registers: [r] });
    c.inc({ reason: 'say "no"\\\n' });
    expect(await r.metrics()).to.include('c_total{reason="say \\"no\\"\\\\\\n"} 1');
    expect(() => c.inc({ other: 'x' } as never)).to.throw('unknown label "other"');
    expect(() => c.inc({ reason: 'x' }, -1)).to.throw('cannot decrease');
    expect(() => new Counter({ name: 'c_total', help: 'again', registers: [r] })).to.throw('already registered');
  });

  it('reads the process figures on each scrape', async () => {
    const r = new Registry();
    collectProcessMetrics(r, 'p_');
    const text = await r.metrics();
    const rss = Number(/^p_process_resident_memory_bytes (\d+)$/mu.exec(text)?.[1]);
    expect(rss).to.be.greaterThan(1024 * 1024);
    expect(text).to.match(/^p_process_cpu_user_seconds_total \d/mu);
    expect(text).to.match(/^p_nodejs_heap_size_used_bytes \d+$/mu);
  });
});
