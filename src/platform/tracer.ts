import { trace, type Tracer } from "@opentelemetry/api";

/** The instrumentation scope of the spans the service makes itself (calls, queries, jobs). */
const SCOPE = "user-service";

/**
 * tracer is where the service's own spans come from. It is looked up at each use rather than kept:
 * with no provider registered (tracing off) it is the API's no-op tracer, and a provider registered
 * later, or again after a shutdown, is the one used from then on.
 */
export function tracer(): Tracer {
  return trace.getTracer(SCOPE);
}
