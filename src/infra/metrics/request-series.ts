import type { Metric, Registry } from 'prom-client';

/** One series: its labels, and what was observed in it (per bucket, not yet cumulative). */
interface Series {
  labels: Record<string, string>;
  count: number;
  sum: number;
  inBucket: number[];
}

/** A value as prom-client's registry writes it: `metricName{sharedLabels,labels} value`. */
interface ExportedValue {
  metricName: string;
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
}

/**
 * A Prometheus histogram observed on every request (and, if asked, the counter of the same
 * observations under a name of its own), kept as plain numbers and turned into prom-client's shape
 * only when scraped, through the same registry and so in the same text.
 *
 * Why not prom-client's Histogram and Counter: on every call they check the labels against the
 * label names, build the series' key from the label object and search the buckets; for the
 * request counter, the request histogram and the lookup's own histogram that was 3.8 µs of CPU on
 * every partner lookup, the largest part of the service's own work after sending the answer
 * (issue 17, a profile of the lookup benchmark). Here the caller gives the series' key it already
 * has (its labels are built once, when the series first appears) and the observation is a Map
 * lookup and a short bucket search. Label values are the callers' own bounded sets (route
 * templates, statuses, outcomes), as with prom-client.
 */
export class RequestSeries {
  private readonly series = new Map<string, Series>();

  constructor(
    registry: Registry,
    private readonly name: string,
    private readonly help: string,
    private readonly upperBounds: readonly number[],
    counter?: { name: string; help: string },
  ) {
    registry.registerMetric(this.asMetric(name, help, 'histogram', () => this.histogramValues()));
    if (counter) registry.registerMetric(this.asMetric(counter.name, counter.help, 'counter', () => this.counterValues(counter.name)));
  }

  /** Records one observation (seconds) in the series `key`; `labels` is called when the series is new. */
  observe(key: string, labels: () => Record<string, string>, value: number): void {
    let series = this.series.get(key);
    if (!series) {
      series = { labels: labels(), count: 0, sum: 0, inBucket: new Array<number>(this.upperBounds.length).fill(0) };
      this.series.set(key, series);
    }
    series.count += 1;
    series.sum += value;
    const bounds = this.upperBounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        series.inBucket[i]! += 1;
        break;
      }
    }
  }

  /** As prom-client's Histogram exports: each bucket (cumulative, `le`), `+Inf`, then `_sum` and `_count`, series by series. */
  private histogramValues(): ExportedValue[] {
    const values: ExportedValue[] = [];
    for (const { labels, count, sum, inBucket } of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += inBucket[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le }, sharedLabels: labels, value: cumulative });
      });
      values.push(
        { metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, sharedLabels: labels, value: count },
        { metricName: `${this.name}_sum`, labels: {}, sharedLabels: labels, value: sum },
        { metricName: `${this.name}_count`, labels: {}, sharedLabels: labels, value: count },
      );
    }
    return values;
  }

  private counterValues(name: string): ExportedValue[] {
    return [...this.series.values()].map(({ labels, count }) => ({ metricName: name, labels, value: count }));
  }

  /**
   * What the registry asks of a metric: its name, help and type, and its values (`get` for the
   * JSON form, with the series' labels spread in; `getForPromString` for the text), and `reset`.
   */
  private asMetric(name: string, help: string, type: 'histogram' | 'counter', values: () => ExportedValue[]): Metric {
    const metric = {
      name,
      help,
      type,
      aggregator: 'sum',
      getForPromString: () => Promise.resolve({ name, help, type, aggregator: 'sum', values: values() }),
      get: () => Promise.resolve({ name, help, type, aggregator: 'sum', values: values().map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...sharedLabels, ...labels } })) }),
      reset: () => this.series.clear(),
    };
    return metric as unknown as Metric;
  }
}
