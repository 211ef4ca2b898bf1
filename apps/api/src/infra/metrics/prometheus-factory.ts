import type { MetricFactory } from '@ects/runner';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Creates the runner's metrics as prom-client metrics in `registry`. */
export function prometheusMetricFactory(registry: Registry): MetricFactory {
  return {
    counter: (spec) => new Counter({ ...spec, registers: [registry] }),
    histogram: (spec) => new Histogram({ ...spec, registers: [registry] }),
    gauge: ({ read, ...spec }) => {
      new Gauge({
        ...spec,
        registers: [registry],
        collect() {
          this.reset();
          for (const sample of read()) {
            this.set(sample.labels, sample.value);
          }
        },
      });
    },
  };
}
