/** Closer releases one resource. */
export type Closer = () => Promise<unknown>;

/**
 * Closers releases resources in the reverse order they were acquired, so nothing is closed while
 * something opened after it still uses it. close() runs once: later calls wait for the first to
 * finish. A closer that fails is reported and the others still run.
 */
export class Closers {
  private readonly closers: Closer[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly reportFailure: (error: unknown) => void) {}

  /** add registers a resource's closer; resources added after close() has started are closed at once. */
  add(closer: Closer): void {
    if (this.closing) void closer().catch(this.reportFailure);
    else this.closers.push(closer);
  }

  /** close runs every closer, last added first; it is idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const closer of [...this.closers].reverse()) await closer().catch(this.reportFailure);
    })();
    return this.closing;
  }
}
