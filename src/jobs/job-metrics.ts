import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Logger } from "../platform/logger.js";
import { QUEUE_NAMES } from "./queues.js";

/** Counts reads a number per queue when metrics are scraped. */
export type Counts = () => Promise<Map<string, number>>;

/**
 * JobMetrics are the background jobs' Prometheus metrics: how many jobs wait per queue, how long
 * runs take, how many fail, and how many dead letters wait for an operator. The two gauges are read
 * at scrape time from where the jobs are (the outbox, BullMQ, the dead letters), so they agree across
 * every process that serves them.
 */
export class JobMetrics {
  private readonly duration: Histogram<"queue" | "job" | "outcome">;
  private readonly failures: Counter<"queue" | "job">;

  constructor(registry: Registry, depth: Counts, deadLetters: Counts, log: Logger) {
    this.duration = new Histogram({
      name: "job_duration_seconds",
      help: "Job runs, by queue, job and outcome (completed, retried, dead).",
      labelNames: ["queue", "job", "outcome"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.failures = new Counter({ name: "job_failures_total", help: "Failed job runs, retried or not, by queue and job.", labelNames: ["queue", "job"], registers: [registry] });
    gaugeOf(registry, "job_queue_depth", "Jobs waiting to run, by queue (in the outbox and in BullMQ).", depth, log);
    gaugeOf(registry, "job_dead_letters", "Jobs that failed for good and wait to be re-queued, by queue.", deadLetters, log);
  }

  /** ran records one run of a job. */
  ran(queue: string, job: string, outcome: "completed" | "retried" | "dead", seconds: number): void {
    this.duration.observe({ queue, job, outcome }, seconds);
    if (outcome !== "completed") this.failures.inc({ queue, job });
  }
}

/** gaugeOf registers a per-queue gauge read at scrape time; a read that fails leaves the gauge empty and is logged. */
function gaugeOf(registry: Registry, name: string, help: string, counts: Counts, log: Logger): void {
  new Gauge({
    name,
    help,
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const byQueue = await counts();
        for (const queue of new Set([...QUEUE_NAMES, ...byQueue.keys()])) this.set({ queue }, byQueue.get(queue) ?? 0);
      } catch (error) {
        log.warn({ err: error, metric: name }, "cannot read a job metric");
      }
    },
  });
}
