import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProcessOutcome } from '../domain/process-outcome';

/** Prometheus metrics, one registry per process (tests build several apps in one process). */
export class Metrics {
  readonly registry = new Registry();
  readonly webhooks = new Counter({
    name: 'refwire_webhooks_received_total',
    help: 'Webhook deliveries by provider and outcome (accepted, duplicate, unknown_project, verification_failed, unavailable, …)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly processing = new Histogram({
    name: 'refwire_event_processing_seconds',
    help: 'Time to process one stored event, by result',
    labelNames: ['status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'refwire_event_failures_total',
    help: 'Events that failed for good (invalid payload, or every attempt used)',
    registers: [this.registry],
  });

  readonly reconciled = new Counter({
    name: 'refwire_reconciled_events_total',
    help: "Events recovered from providers' APIs that no webhook had delivered, by provider",
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly reconcileRuns = new Counter({
    name: 'refwire_reconcile_runs_total',
    help: 'Reconciliation runs by provider and outcome (ok, failed, refused_key)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(queueDepth?: () => Promise<Record<string, number>>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'refwire_' });
    if (queueDepth) {
      new Gauge({
        name: 'refwire_queue_jobs',
        help: 'Jobs in the events queue by state',
        labelNames: ['state'] as const,
        registers: [this.registry],
        async collect() {
          try {
            for (const [state, n] of Object.entries(await queueDepth())) this.set({ state }, n);
          } catch {
            // Redis away: the gauge keeps its last values; /readyz says why
          }
        },
      });
    }
  }

  /** Wraps the processing entry point so every caller (runner, queue worker, replay) is measured alike. */
  instrument(process: (id: string) => Promise<ProcessOutcome>): (id: string) => Promise<ProcessOutcome> {
    return async (id) => {
      const end = this.processing.startTimer();
      const outcome = await process(id);
      end({ status: outcome.status });
      if (outcome.status === 'failed') this.failures.inc();
      return outcome;
    };
  }
}
