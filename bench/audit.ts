// Audited writes at concurrency 64: transactions that each append one entry to the audit trail, as
// every change of the service does, with one lane for all (AUDIT_CHAIN_LANES=1: one lock orders
// every writer until it commits, as the single chain did) and with the default lanes, measured in
// alternating stretches on one database. The entries are platform events by many users, so with
// one lane every writer queues on the same lock and with lanes only writers of one lane do. Beside
// the throughput, how many writers wait for a lane's lock at a time is sampled from Postgres: what
// shows whether the lock or the machine is what bounds a figure.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { connectPostgres } from "../src/db/create-database.js";
import { migrateToLatest } from "../src/db/migrate.js";
import { transaction } from "../src/db/transaction.js";
import { AuditLog } from "../src/features/audit/index.js";
import { loadConfig } from "../src/config.js";
import { systemClock } from "../src/platform/clock.js";
import { driveAlternately, type Caller } from "./load.js";
import { deploy } from "./services.js";

/** CONCURRENCY is the writers at once the figure is stated for. */
const CONCURRENCY = 64;
const ROUNDS = 4;
/** ACTORS is how many users the entries are spread over. */
const ACTORS = 10_000;
/** SAMPLE_EVERY_MS is how often the writers waiting for a lane's lock are counted. */
const SAMPLE_EVERY_MS = 20;

/** AuditFigures are the audit trail's figures in bench/results.json. */
export interface AuditFigures {
  concurrency: number;
  lanes: number;
  writes_per_s_single_lock: number;
  writes_per_s_lanes: number;
  p99_ms_single_lock: number;
  p99_ms_lanes: number;
  /** How many of the writers waited for a lane's lock at a time, on average. */
  lock_waiters_single_lock: number;
  lock_waiters_lanes: number;
}

type Mode = "single" | "lanes";

/**
 * LockWaits counts, every SAMPLE_EVERY_MS on a connection of its own, the database's backends
 * waiting for an advisory lock (a lane's lock is one), and averages the counts per mode: the mode of
 * the writer that started last, since the stretches of the two modes never overlap.
 */
class LockWaits {
  private mode: Mode | undefined;
  private readonly counts: Record<Mode, number[]> = { single: [], lanes: [] };
  private sampling: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly client: pg.Client) {}

  /** during marks the writes of a mode, so the samples taken while they run count for it. */
  during(mode: Mode, write: () => Promise<unknown>): Promise<unknown> {
    this.mode = mode;
    return write();
  }

  start(): void {
    this.sampling = (async () => {
      while (!this.stopped) {
        const mode = this.mode;
        const { rows } = await this.client.query<{ waiting: number }>(
          "select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'",
        );
        if (mode) this.counts[mode].push(rows[0]!.waiting);
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
      }
    })();
  }

  /** stop ends the sampling and returns each mode's average of waiting writers. */
  async stop(): Promise<Record<Mode, number>> {
    this.stopped = true;
    await this.sampling;
    const average = (counts: number[]) => Number((counts.reduce((sum, n) => sum + n, 0) / Math.max(1, counts.length)).toFixed(1));
    return { single: average(this.counts.single), lanes: average(this.counts.lanes) };
  }
}

/** measureAuditWrites measures audited writes per second with one lane and with the default lanes. */
export async function measureAuditWrites(seconds: number): Promise<AuditFigures> {
  const deployment = await deploy();
  const database = connectPostgres(deployment.databaseUrl, CONCURRENCY);
  const sampler = new pg.Client({ connectionString: deployment.databaseUrl });
  const waits = new LockWaits(sampler);
  try {
    await sampler.connect();
    await migrateToLatest(database.db);
    // The service's default lanes, or AUDIT_CHAIN_LANES to measure another count.
    const lanes = loadConfig({ AUDIT_CHAIN_LANES: process.env.AUDIT_CHAIN_LANES }).audit.chainLanes;
    const actors = Array.from({ length: ACTORS }, () => randomUUID());
    const writer = (mode: Mode, log: AuditLog): Caller => () => () =>
      waits.during(mode, () =>
        transaction(database.db, (trx) =>
          log.record(trx, {
            actorUserId: actors[Math.floor(Math.random() * ACTORS)]!,
            action: "profile.update",
            resourceType: "user",
            resourceId: randomUUID(),
            oldValues: { fullName: "Before Name" },
            newValues: { fullName: "After Name" },
            origin: { ipAddress: "203.0.113.7", userAgent: "bench" },
          }),
        ),
      );
    waits.start();
    const [single, laned] = await driveAlternately(CONCURRENCY, seconds, ROUNDS, writer("single", new AuditLog(systemClock, 1)), writer("lanes", new AuditLog(systemClock, lanes)));
    const waiting = await waits.stop();
    if (single.errors + laned.errors > 0) throw new Error(`audited writes failed: ${single.errors} with one lane, ${laned.errors} with lanes`);
    return {
      concurrency: CONCURRENCY,
      lanes,
      writes_per_s_single_lock: single.rps,
      writes_per_s_lanes: laned.rps,
      p99_ms_single_lock: single.p99_ms,
      p99_ms_lanes: laned.p99_ms,
      lock_waiters_single_lock: waiting.single,
      lock_waiters_lanes: waiting.lanes,
    };
  } finally {
    await waits.stop();
    await sampler.end();
    await database.close();
    await deployment.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await measureAuditWrites(Number(process.env.BENCH_SECONDS ?? 10)));
}
