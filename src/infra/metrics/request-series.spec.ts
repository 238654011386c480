import { Counter, Histogram, Registry } from 'prom-client';
import { RequestSeries } from './request-series.js';

/**
 * RequestSeries must write exactly what prom-client's Histogram and Counter write for the same
 * observations (dashboards and alerts read these names), in the text and the JSON form alike.
 */
describe('RequestSeries', () => {
  const observations = [
    ['GET', '/api/a', 200, 0.0004],
    ['GET', '/api/a', 200, 0.05],
    ['GET', '/api/a', 200, 1],
    ['GET', '/api/a', 404, 0.2],
    ['POST', '/api/"quoted"\\path\n', 503, 42],
  ] as const;
  const buckets = [0.001, 0.1, 1, 10];

  function both() {
    const reference = new Registry();
    const histogram = new Histogram({ name: 'x_duration_seconds', help: 'Time, by "route"', labelNames: ['method', 'route', 'status'], buckets, registers: [reference] });
    const counter = new Counter({ name: 'x_requests_total', help: 'Requests\\answered', labelNames: ['method', 'route', 'status'], registers: [reference] });
    const ours = new Registry();
    const series = new RequestSeries(ours, 'x_duration_seconds', 'Time, by "route"', buckets, { name: 'x_requests_total', help: 'Requests\\answered' });
    for (const [method, route, status, seconds] of observations) {
      const labels = { method, route, status: String(status) };
      histogram.observe(labels, seconds);
      counter.inc(labels);
      series.observe(`${method} ${status} ${route}`, () => labels, seconds);
    }
    return { reference, ours };
  }

  it('writes the same Prometheus text as prom-client', async () => {
    const { reference, ours } = both();
    expect(await ours.metrics()).toBe(await reference.metrics());
  });

  it('gives the same JSON as prom-client', async () => {
    const { reference, ours } = both();
    // What a reader takes from each value (prom-client leaves a counter's metricName out, and adds empty exemplars).
    const sorted = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      metrics.map(({ name, help, type, values }) => ({
        name,
        help,
        type,
        values: values.map((v) => ({ metricName: (v as { metricName?: string }).metricName ?? name, value: v.value, labels: Object.fromEntries(Object.entries(v.labels).sort()) })),
      }));
    expect(sorted(await ours.getMetricsAsJSON())).toEqual(sorted(await reference.getMetricsAsJSON()));
  });

  it('starts again from nothing when the registry is reset', async () => {
    const { ours } = both();
    ours.resetMetrics();
    expect(await ours.metrics()).toBe('# HELP x_duration_seconds Time, by "route"\n# TYPE x_duration_seconds histogram\n\n# HELP x_requests_total Requests\\\\answered\n# TYPE x_requests_total counter\n');
  });
});
