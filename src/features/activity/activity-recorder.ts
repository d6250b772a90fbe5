import { Counter, Gauge, type Registry } from "prom-client";
import type { Db } from "../../db/database.js";
import { newId } from "../../platform/crypto/random.js";
import type { Logger } from "../../platform/logger.js";
import type { CallRecord } from "../../rpc/interceptors/activity.js";
import { activityTypeToStored } from "./activity.convert.js";
import { insertActivities, type NewActivity } from "./activity.repository.js";

/** ActivityRecorderOptions bound the recorder's buffer and say how often it writes. */
export interface ActivityRecorderOptions {
  /** Records held at most; a call arriving when the buffer is full is dropped and counted. */
  bufferSize: number;
  /** How often the buffer is written. */
  flushIntervalMs: number;
  /** Records written per statement; a buffer this full is written at once. */
  batchSize: number;
}

/**
 * ActivityRecorder keeps call records in a bounded buffer and writes them in batches, so recording
 * costs a request no database round trip. What it cannot keep (the buffer full, a batch the
 * database refused) it drops and counts in activity_records_dropped_total; close writes what is
 * left.
 */
export class ActivityRecorder {
  private buffer: NewActivity[] = [];
  private writing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly dropped: Counter<"reason">;

  constructor(
    private readonly db: Db,
    private readonly options: ActivityRecorderOptions,
    metrics: Registry,
    private readonly log: Logger,
  ) {
    this.dropped = new Counter({
      name: "activity_records_dropped_total",
      help: "Activity records dropped, by reason: buffer_full or write_failed.",
      labelNames: ["reason"],
      registers: [metrics],
    });
    const buffered = () => this.buffer.length;
    new Gauge({
      name: "activity_buffer_records",
      help: "Activity records waiting to be written.",
      registers: [metrics],
      collect() {
        this.set(buffered());
      },
    });
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.timer.unref();
  }

  /** record buffers a call; it never waits. */
  record(call: CallRecord): void {
    if (this.buffer.length >= this.options.bufferSize) {
      this.dropped.inc({ reason: "buffer_full" });
      return;
    }
    this.buffer.push({
      id: newId(),
      user_id: call.userId ?? null,
      session_id: call.sessionId ?? null,
      organization_id: call.organizationId ?? null,
      activity_type: activityTypeToStored(call.activityType),
      method: call.method,
      status_code: call.statusCode,
      latency_ms: call.latencyMs,
      ip_address: call.ipAddress ?? null,
      user_agent: call.userAgent?.slice(0, 512) ?? null,
      request_id: call.requestId ?? null,
      created_at: call.receivedAt,
    });
    if (this.buffer.length >= this.options.batchSize) void this.flush();
  }

  /** flush writes what the buffer holds, one write at a time; it waits for a write in progress. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.buffer.length === 0) return;
    const taken = this.buffer;
    this.buffer = [];
    this.writing = this.write(taken).finally(() => (this.writing = undefined));
    await this.writing;
  }

  /** close stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async write(records: NewActivity[]): Promise<void> {
    for (let first = 0; first < records.length; first += this.options.batchSize) {
      const batch = records.slice(first, first + this.options.batchSize);
      try {
        await insertActivities(this.db, batch);
      } catch (error) {
        this.dropped.inc({ reason: "write_failed" }, batch.length);
        this.log.warn({ err: error, records: batch.length }, "cannot write activity records; they are dropped");
      }
    }
  }
}
