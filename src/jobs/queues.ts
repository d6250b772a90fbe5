import { UnrecoverableError } from "bullmq";
import type { JsonObject } from "../shared/json.js";

/** queues names the job queues outbox rows are bound for. Job payloads hold ids only, never secrets. */
export const queues = {
  identityVerification: "identity-verification",
  riskScoring: "risk-scoring",
  complianceScreening: "compliance-screening",
  notifications: "notifications",
  maintenance: "maintenance",
} as const;

/** QueueName is one of the queues. */
export type QueueName = (typeof queues)[keyof typeof queues];

/** QUEUE_NAMES lists every queue, for the workers and the metrics. */
export const QUEUE_NAMES: readonly QueueName[] = Object.values(queues);

/** Job is one run of a job: its outbox id (BullMQ's jobId too), where it was bound, what it carries, and which run this is (1 = first). */
export interface Job {
  id: string;
  queue: QueueName;
  name: string;
  payload: JsonObject;
  attempt: number;
  /** The W3C trace context of the change that queued it, as JSON: its span continues that trace. Processors never read it. */
  traceContext?: string;
}

/** JobProcessor does a job's work. It must be idempotent: a job may run again after a crash. Throwing PermanentJobFailure stops its retries. */
export type JobProcessor = (job: Job) => Promise<void>;

/** JobProcessors maps each queue's job names to their processors, as the features register them. */
export type JobProcessors = Partial<Record<QueueName, Record<string, JobProcessor>>>;

/** mergeJobProcessors combines features' processors queue by queue; two processors for one job is a wiring error. */
export function mergeJobProcessors(...sets: JobProcessors[]): JobProcessors {
  const merged: JobProcessors = {};
  for (const set of sets) {
    for (const [queue, processors] of Object.entries(set) as Array<[QueueName, Record<string, JobProcessor>]>) {
      const into = (merged[queue] ??= {});
      for (const [name, processor] of Object.entries(processors)) {
        if (into[name]) throw new Error(`two processors for the job ${queue}/${name}`);
        into[name] = processor;
      }
    }
  }
  return merged;
}

/**
 * PermanentJobFailure is a failure no retry can mend (the job's subject is gone, its payload is
 * malformed): the job goes to the dead letters at once. It is BullMQ's UnrecoverableError, so BullMQ
 * workers stop retrying too.
 */
export class PermanentJobFailure extends UnrecoverableError {}

/** processorFor finds the processor of a job; a job nobody processes fails for good. */
export function processorFor(processors: JobProcessors, queue: string, name: string): JobProcessor {
  const processor = processors[queue as QueueName]?.[name];
  if (!processor) throw new PermanentJobFailure(`no processor for job "${name}" on queue "${queue}"`);
  return processor;
}

/** isPermanent says whether an error ends a job's retries. */
export function isPermanent(error: unknown): boolean {
  return error instanceof UnrecoverableError;
}
