import type { EventEmitter } from "node:events";

interface Entry {
  count: number;
  forget: () => void;
}

/**
 * RunningCalls counts the calls running on each connection (an HTTP/1.1 socket or an HTTP/2
 * session): a connection with a call running is busy, and shutdown waits until none is. A
 * connection that closes takes its calls with it, because node never reports the end of a
 * pipelined HTTP/1.1 request whose turn had not come when its socket went away.
 */
export class RunningCalls {
  private readonly entries = new Map<EventEmitter, Entry>();
  private total = 0;
  private onDrained: (() => void) | undefined;

  /** start counts a call on `connection`; the function it returns ends the call (once). */
  start(connection: EventEmitter): () => void {
    let entry = this.entries.get(connection);
    if (!entry) {
      const created: Entry = { count: 0, forget: () => this.end(connection, created, created.count) };
      connection.once("close", created.forget);
      this.entries.set(connection, created);
      entry = created;
    }
    entry.count++;
    this.total++;
    let ended = false;
    const call = entry;
    return () => {
      if (ended) return;
      ended = true;
      this.end(connection, call, 1);
    };
  }

  /** busy tells whether a call is running on `connection`. */
  busy(connection: EventEmitter): boolean {
    return this.entries.has(connection);
  }

  /** size is the number of calls running on all connections. */
  get size(): number {
    return this.total;
  }

  /** drained resolves once no call is running. */
  drained(): Promise<void> {
    return this.total === 0 ? Promise.resolve() : new Promise((resolve) => (this.onDrained = resolve));
  }

  private end(connection: EventEmitter, entry: Entry, calls: number): void {
    if (this.entries.get(connection) !== entry) return; // the connection closed and took the call along
    entry.count -= calls;
    this.total -= calls;
    if (entry.count === 0) {
      this.entries.delete(connection);
      connection.off("close", entry.forget);
    }
    if (this.total === 0) this.onDrained?.();
  }
}
