/**
 * ErrorKind classifies a domain failure. src/rpc/errors.ts is the only place that maps kinds to
 * transport codes; services never speak of Connect or gRPC.
 */
export type ErrorKind =
  | "invalid_argument"
  | "unauthenticated"
  | "permission_denied"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "resource_exhausted"
  | "unavailable";

/**
 * DomainError is thrown by services for every expected failure. `reason` is a stable
 * machine-readable code clients may switch on; `message` is safe to show to the caller.
 */
export class DomainError extends Error {
  /** retryAfterMs is how long the caller should wait before trying again, when waiting is what helps. */
  readonly retryAfterMs?: number;

  constructor(
    readonly kind: ErrorKind,
    readonly reason: string,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.name = "DomainError";
    this.retryAfterMs = options?.retryAfterMs;
  }
}
