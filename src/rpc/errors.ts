import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "../platform/logger.js";
import { DomainError, type ErrorKind } from "../shared/domain-error.js";

const codeOf: Record<ErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
};

// Node and driver error codes that mean a backing service (Postgres, Redis) cannot be reached, did
// not answer in time (a Redis command past REDIS_COMMAND_TIMEOUT_MS) or cannot take the work now:
// network failures, Postgres connection exceptions (class 08), shutdown and start-up
// (57P01-57P03), too many connections (53300), and a database that is gone (3D000).
const UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "57P01", "57P02", "57P03", "53300", "3D000"]);
const POSTGRES_CONNECTION_EXCEPTION = /^08[0-9A-Z]{3}$/;
// Postgres refusing the client's own text: a NUL character (22021), characters the encoding cannot
// hold (22P05), a value longer than its column (22001). Bad input, not a fault of ours.
const REJECTED_INPUT = new Set(["22021", "22P05", "22001"]);

// Errors are inspected by shape, not instanceof: Node's network errors may come from another realm.
function isUnreachable(error: unknown): boolean {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown } | undefined; e && typeof e === "object"; e = e.cause as typeof e) {
    if (typeof e.code === "string" && (UNREACHABLE.has(e.code) || POSTGRES_CONNECTION_EXCEPTION.test(e.code))) return true;
    if (typeof e.message === "string" && /Connection terminated|connection timeout|Connection is closed|MaxRetriesPerRequest|Stream isn't writeable|Command timed out/i.test(e.message)) return true;
    if (Array.isArray(e.errors) && e.errors.some(isUnreachable)) return true;
  }
  return false;
}

/**
 * toConnectError is the one place that turns failures into wire errors. Client faults are logged at
 * warn, server faults at error; a cause, stack or SQL never reaches the wire.
 */
export function toConnectError(error: unknown, log: Logger): ConnectError {
  if (error instanceof DomainError) {
    const { kind, reason, retryAfterMs } = error;
    log.warn({ reason, kind, retryAfterMs }, error.message);
    // Retry-After counts whole seconds; rounding down would invite a retry that is refused again.
    const retryAfter = retryAfterMs === undefined ? {} : { "retry-after": String(Math.ceil(retryAfterMs / 1000)) };
    return new ConnectError(error.message, codeOf[kind], { ...retryAfter, "x-error-reason": reason });
  }
  if (error instanceof ConnectError) {
    if (error.code === Code.Internal || error.code === Code.Unknown) log.error({ err: error }, "rpc failed");
    else log.warn({ code: Code[error.code] }, error.rawMessage);
    return error;
  }
  if (REJECTED_INPUT.has((error as { code?: unknown } | null)?.code as string)) {
    log.warn({ code: (error as { code: string }).code }, "input refused by the database");
    return new ConnectError("a text field holds characters that cannot be stored", Code.InvalidArgument);
  }
  if (isUnreachable(error)) {
    log.error({ err: error }, "backing service unavailable");
    return new ConnectError("service temporarily unavailable", Code.Unavailable);
  }
  log.error({ err: error }, "unexpected failure");
  return new ConnectError("internal error", Code.Internal);
}
