import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { Logger } from "../platform/logger.js";
import { outboxWrites } from "./outbox.js";

/**
 * Poller calls round whenever a job is committed in this process, every intervalMs otherwise, and
 * again at once while a round says there is more to do. Rounds never overlap. A round that throws
 * (the database is unreachable) is logged and the next one comes at the interval.
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly onWrite = () => this.wake();

  constructor(
    private readonly intervalMs: number,
    private readonly round: () => Promise<boolean>,
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  /** start runs a first round now and keeps polling until stop. */
  start(): void {
    outboxWrites.on("written", this.onWrite);
    this.wake();
  }

  /** wake asks for a round as soon as the one running (if any) ends. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    // Outside the context of whoever woke it (a traced call committing a job): the rounds, and the
    // timers that chain them, belong to no call's trace.
    this.running = context.with(ROOT_CONTEXT, () =>
      this.loop().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(() => this.wake(), this.intervalMs);
      }),
    );
  }

  private async loop(): Promise<void> {
    let more = true;
    while (more && !this.stopped) {
      this.again = false;
      try {
        more = (await this.round()) || this.again;
      } catch (error) {
        this.log.warn({ err: error }, `${this.what} failed; trying again in ${this.intervalMs} ms`);
        more = false;
      }
    }
  }

  /** stop ends polling and waits for the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    outboxWrites.off("written", this.onWrite);
    clearTimeout(this.timer);
    await this.running;
  }
}
