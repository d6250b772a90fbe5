// Audited writes at concurrency 64: transactions that each append one entry to the audit trail, as
// every change of the service does, with one lane for all (AUDIT_CHAIN_LANES=1: one lock orders
// every writer until it commits, as the single chain did) and with the default lanes, measured in
// alternating stretches on one database. The entries are platform events by many users, so with
// one lane every writer queues on the same lock and with lanes only writers of one lane do.
import { randomUUID } from "node:crypto";
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

/** AuditFigures are the audit trail's figures in bench/results.json. */
export interface AuditFigures {
  concurrency: number;
  lanes: number;
  writes_per_s_single_lock: number;
  writes_per_s_lanes: number;
  p99_ms_single_lock: number;
  p99_ms_lanes: number;
}

/** measureAuditWrites measures audited writes per second with one lane and with the default lanes. */
export async function measureAuditWrites(seconds: number): Promise<AuditFigures> {
  const deployment = await deploy();
  const database = connectPostgres(deployment.databaseUrl, CONCURRENCY);
  try {
    await migrateToLatest(database.db);
    const lanes = loadConfig({}).audit.chainLanes;
    const actors = Array.from({ length: ACTORS }, () => randomUUID());
    const writer = (log: AuditLog): Caller => () => () =>
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
      );
    const [single, laned] = await driveAlternately(CONCURRENCY, seconds, ROUNDS, writer(new AuditLog(systemClock, 1)), writer(new AuditLog(systemClock, lanes)));
    if (single.errors + laned.errors > 0) throw new Error(`audited writes failed: ${single.errors} with one lane, ${laned.errors} with lanes`);
    return {
      concurrency: CONCURRENCY,
      lanes,
      writes_per_s_single_lock: single.rps,
      writes_per_s_lanes: laned.rps,
      p99_ms_single_lock: single.p99_ms,
      p99_ms_lanes: laned.p99_ms,
    };
  } finally {
    await database.close();
    await deployment.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await measureAuditWrites(Number(process.env.BENCH_SECONDS ?? 10)));
}
