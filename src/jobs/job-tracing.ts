import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context } from "@opentelemetry/api";
import { tracer } from "../platform/tracer.js";
import type { Job, QueueName } from "./queues.js";
import type { JobOutcome } from "./run-job.js";

// Messaging attributes of the semantic conventions; still experimental, so named here rather than
// imported from the package's unstable entry point.
const MESSAGING_SYSTEM = "messaging.system";
const MESSAGING_OPERATION_TYPE = "messaging.operation.type";
const MESSAGING_DESTINATION_NAME = "messaging.destination.name";
const MESSAGING_MESSAGE_ID = "messaging.message.id";
const JOB_NAME = "job.name";
const JOB_ATTEMPT = "job.attempt";
const JOB_OUTCOME = "job.outcome";

/** JobCarrier is what hands a job to its processor: BullMQ's workers, or the in-process runner reading the outbox. */
export type JobCarrier = "bullmq" | "outbox";

/**
 * queuing writes a job (write returns its id) in a producer span, child of whatever is traced where
 * it is queued (the call that caused it), and hands write the span's W3C trace context as JSON,
 * BullMQ's own format for telemetry metadata, to store with the job; undefined when nothing is
 * traced, so an untraced job stores none.
 */
export async function queuing(queue: QueueName, jobName: string, write: (traceContext: string | undefined) => Promise<string>): Promise<string> {
  const parent = context.active();
  const span = tracer().startSpan(
    `create ${queue}/${jobName}`,
    { kind: SpanKind.PRODUCER, attributes: { [MESSAGING_SYSTEM]: "outbox", [MESSAGING_OPERATION_TYPE]: "create", [MESSAGING_DESTINATION_NAME]: queue, [JOB_NAME]: jobName } },
    parent,
  );
  const active = trace.setSpan(parent, span);
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  try {
    const id = await context.with(active, () => write(carrier.traceparent ? JSON.stringify(carrier) : undefined));
    span.setAttribute(MESSAGING_MESSAGE_ID, id);
    return id;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/** queuedIn is the context a job was queued in, from its stored trace context; a job without one (or with one that does not parse) starts a trace of its own. */
function queuedIn(traceContext: string | undefined): Context {
  if (!traceContext) return ROOT_CONTEXT;
  try {
    const carrier: unknown = JSON.parse(traceContext);
    return carrier && typeof carrier === "object" ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
  } catch {
    return ROOT_CONTEXT;
  }
}

/**
 * runTraced runs one run of a job in a consumer span named after its queue and job, child of the
 * span that queued it, so the job's work (its queries, the jobs it queues) is in the trace of the
 * call that caused it. A run that fails, for now or for good, is an error span; its error's text
 * stays in the log.
 */
export async function runTraced(job: Job, carrier: JobCarrier, run: () => Promise<JobOutcome>): Promise<JobOutcome> {
  const parent = queuedIn(job.traceContext);
  const span = tracer().startSpan(
    `process ${job.queue}/${job.name}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [MESSAGING_SYSTEM]: carrier,
        [MESSAGING_OPERATION_TYPE]: "process",
        [MESSAGING_DESTINATION_NAME]: job.queue,
        [MESSAGING_MESSAGE_ID]: job.id,
        [JOB_NAME]: job.name,
        [JOB_ATTEMPT]: job.attempt,
      },
    },
    parent,
  );
  try {
    const outcome = await context.with(trace.setSpan(parent, span), run);
    span.setAttribute(JOB_OUTCOME, outcome.kind);
    if (outcome.kind !== "completed") span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.kind === "dead" ? "failed for good" : "failed; runs again" });
    return outcome;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}
