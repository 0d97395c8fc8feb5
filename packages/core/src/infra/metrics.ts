// Per-process Prometheus metrics: what only the process that saw it can count — order latencies, job durations per
// queue, provider requests and 429s, console cache hits, the pg pools and Node's own (memory, CPU, event-loop lag).
// One registry per process, kept on globalThis: Next.js may load this module once per route bundle, and the
// observations of the tRPC route must reach the /api/metrics route. Scrape-time business metrics: metrics-business.ts.
import { poolStats } from '@ai-trader/db';
import type { Job, Worker } from 'bullmq';
import client from 'prom-client';

const SECONDS_FAST = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const SECONDS_SLOW = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 3600];

function build() {
  const registry = new client.Registry();
  const registers = [registry];
  return {
    registry,
    defaultsOn: false,
    orderLatency: new client.Histogram({
      name: 'trading_order_latency_seconds',
      help: 'Order latency: signal_to_ack (signal created → broker answered the submission), ack_to_fill (broker answer → a fill booked).',
      labelNames: ['stage'] as const, buckets: SECONDS_SLOW, registers,
    }),
    jobDuration: new client.Histogram({
      name: 'queue_job_duration_seconds',
      help: 'BullMQ job processing time per queue and outcome (completed | failed), in the worker that ran it.',
      labelNames: ['queue', 'outcome'] as const, buckets: SECONDS_FAST, registers,
    }),
    providerRequests: new client.Counter({
      name: 'provider_requests_total',
      help: 'HTTP requests to a provider (polygon, alpaca) by answer: 2xx, 4xx, 429, 5xx or network.',
      labelNames: ['provider', 'code'] as const, registers,
    }),
    providerRateLimited: new client.Counter({
      name: 'provider_rate_limited_total', help: 'HTTP 429 answers from a provider.', labelNames: ['provider'] as const, registers,
    }),
    providerLatency: new client.Histogram({
      name: 'provider_request_duration_seconds', help: 'Provider HTTP request time (network errors included).',
      labelNames: ['provider'] as const, buckets: SECONDS_FAST, registers,
    }),
    cacheRequests: new client.Counter({
      name: 'console_cache_requests_total',
      help: "Console answer cache lookups: hit (served a kept answer), miss (computed), bypass (the live hub is not listening, nothing kept).",
      labelNames: ['cache', 'result'] as const, registers,
    }),
    pools: new client.Gauge({
      name: 'db_pool_connections', help: "This process's pg pool connections: busy, idle, max (its size) and waiting callers.",
      labelNames: ['pool', 'state'] as const, registers,
      collect() {
        this.reset();
        for (const p of poolStats()) {
          this.set({ pool: p.name, state: 'busy' }, p.total - p.idle);
          this.set({ pool: p.name, state: 'idle' }, p.idle);
          this.set({ pool: p.name, state: 'max' }, p.max);
          this.set({ pool: p.name, state: 'waiting' }, p.waiting);
        }
      },
    }),
    poolExhausted: new client.Counter({
      name: 'db_pool_exhausted_total', help: 'Callers that gave up waiting for a pg connection (PoolExhaustedError) since the process started.',
      labelNames: ['pool'] as const, registers,
      collect() {
        this.reset();
        for (const p of poolStats()) this.inc({ pool: p.name }, p.exhaustedTotal);
      },
    }),
  };
}

type ProcessMetrics = ReturnType<typeof build>;
const g = globalThis as unknown as { __aiTraderMetrics?: ProcessMetrics };

/** This process's metrics (created on first use). */
export function processMetrics(): ProcessMetrics {
  return (g.__aiTraderMetrics ??= build());
}

/**
 * Node's default metrics (memory, CPU, event-loop lag, GC, handles) and a `role` label on every metric of this
 * process ("console", or the worker roles joined by commas). Called once at start-up; later calls change nothing.
 */
export function enableProcessMetrics(role: string): client.Registry {
  const m = processMetrics();
  if (!m.defaultsOn) {
    m.defaultsOn = true;
    m.registry.setDefaultLabels({ role });
    client.collectDefaultMetrics({ register: m.registry, eventLoopMonitoringPrecision: 20 });
  }
  return m.registry;
}

/** The answer class of a provider HTTP status (0 = the request never got an answer). */
export function statusClass(status: number): string {
  if (status === 0) return 'network';
  if (status === 429) return '429';
  return `${Math.floor(status / 100)}xx`;
}

/** One provider HTTP request: its answer (0 = network error) and how long it took from `startedAt` (performance.now()). */
export function observeProviderRequest(provider: 'polygon' | 'alpaca', status: number, startedAt: number): void {
  const m = processMetrics();
  m.providerRequests.inc({ provider, code: statusClass(status) });
  if (status === 429) m.providerRateLimited.inc({ provider });
  m.providerLatency.observe({ provider }, (performance.now() - startedAt) / 1000);
}

/** A latency of the order path, from a stored instant to now; clocks that disagree (negative) are not recorded. */
export function observeOrderLatency(stage: 'signal_to_ack' | 'ack_to_fill', from: Date | null | undefined, now: Date = new Date()): void {
  if (!from) return;
  const s = (now.getTime() - from.getTime()) / 1000;
  if (s >= 0) processMetrics().orderLatency.observe({ stage }, s);
}

export function observeCache(cache: string, result: 'hit' | 'miss' | 'bypass'): void {
  processMetrics().cacheRequests.inc({ cache, result });
}

/** Times every job a BullMQ worker finishes (BullMQ keeps processedOn / finishedOn on the job). */
export function instrumentWorker(worker: Worker, queue: string): void {
  const m = processMetrics();
  const observe = (job: Job | undefined, outcome: 'completed' | 'failed') => {
    if (job?.processedOn && job.finishedOn) m.jobDuration.observe({ queue, outcome }, Math.max(0, job.finishedOn - job.processedOn) / 1000);
  };
  worker.on('completed', (job) => observe(job, 'completed'));
  worker.on('failed', (job) => observe(job, 'failed'));
}
