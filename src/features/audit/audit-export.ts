import type { Db } from "../../db/database.js";
import { transaction } from "../../db/transaction.js";
import type { Clock } from "../../platform/clock.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import { signedPayload } from "./audit-checkpoints.js";
import { EXPORT_FORMAT, exportedRecord, type ExportCheckpointLine, type ExportEntryLine, type ExportHeaderLine } from "./audit-export-format.js";
import { organizationLane } from "./audit-lanes.js";
import {
  findCheckpointsBetween,
  findCheckpointsSince,
  findCutCheckpoints,
  findEntriesAt,
  findLaneRange,
  findLaneRuns,
  recordOf,
  type LaneRun,
  type StoredCheckpoint,
} from "./audit.repository.js";
import type { AuditLog, AuditTrail } from "./audit.service.js";

/** ExportRequest names what to export and why. */
export interface ExportRequest {
  createdAfter: Date;
  createdBefore: Date;
  /** Only this organization's lane; undefined for every lane. */
  organizationId?: string;
  /** Why: a regulator's request reference, recorded with the export. */
  reason: string;
}

/** ExportCaller is who asks for an export: a user through the API, or an operator on the command line (no user). */
export interface ExportCaller {
  userId: string | null;
  origin: RequestOrigin;
}

/** LINES_PER_BATCH is how many lines an export hands over at a time (and reads entries in). */
const LINES_PER_BATCH = 500;
/** CHECKPOINTS_PER_READ is how many checkpoints are read at a time while looking for signed heads. */
const CHECKPOINTS_PER_READ = 500;
/** CLOCK_MARGIN_MS allows for replicas' clocks: a checkpoint made on another replica may be dated a little before an entry it signs. */
const CLOCK_MARGIN_MS = 3_600_000;

/** RunPlan is what an export holds of one lane: seqs (start, end], entries before `first` and after `last` being outside the range. */
interface RunPlan extends LaneRun {
  start: string;
  end: string;
  /** The checkpoint that signs the entry at `end`. */
  signedBy: string;
}

/** AuditExportsDeps is what exports need. */
export interface AuditExportsDeps {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  trail: AuditTrail;
  /** Who signs checkpoints: the access tokens' issuer. */
  issuer: string;
}

/**
 * AuditExports writes regulatory exports of the audit trail: JSON Lines that anyone holding the
 * service's JWKS can check offline (see checkExport). Each exported lane is a run of its chain:
 * the entry just before the range (it is dated before it, so no entry at the range's start is left
 * out), the entries in the range, then the entries after it up to the first one a checkpoint signed
 * (the first of them is dated after the range, so none at its end is left out, and the signature
 * vouches, through the hashes, for every entry before it). A run with nothing after the range ends
 * at the lane's head, which the export's own checkpoint signs. Lanes are monotone in time, so the
 * entries of a range are one run per lane.
 */
export class AuditExports {
  constructor(private readonly deps: AuditExportsDeps) {}

  /**
   * export records the export in the audit trail, signs a checkpoint of every entry written so
   * far, and yields the export's lines in batches: the header, the checkpoints, the entries.
   */
  async *export(caller: ExportCaller, request: ExportRequest): AsyncGenerator<string[]> {
    const { db, clock, audit, trail, issuer } = this.deps;
    await transaction(db, (trx) =>
      audit.record(trx, {
        actorUserId: caller.userId,
        action: "audit.export",
        resourceType: "audit_trail",
        resourceId: request.organizationId ? organizationLane(request.organizationId) : "all",
        organizationId: request.organizationId,
        newValues: { createdAfter: request.createdAfter.toISOString(), createdBefore: request.createdBefore.toISOString() },
        reason: request.reason,
        origin: caller.origin,
        complianceRelevant: true,
      }),
    );
    const runs = await findLaneRuns(db, request.createdAfter, request.createdBefore, request.organizationId && organizationLane(request.organizationId));
    // Every entry read above is committed, so this checkpoint signs a head at or after each run's
    // end; made after the range, it shows that a lane whose head is its run's end had no more.
    const snapshot = runs.length > 0 ? await trail.checkpointWith(runs.map((run) => run.lane)) : undefined;
    const plans = await this.planRuns(runs);
    const cuts = await this.cutsBefore(runs);
    const header: ExportHeaderLine = {
      type: "export",
      format: EXPORT_FORMAT,
      issuer,
      createdAfter: request.createdAfter.toISOString(),
      createdBefore: request.createdBefore.toISOString(),
      organizationId: request.organizationId ?? null,
      exportedAt: clock.now().toISOString(),
    };
    yield [JSON.stringify(header)];
    yield* this.checkpointLines(plans, snapshot, cuts);
    for (const plan of plans) yield* this.entryLines(plan, request);
  }

  /** planRuns finds where each lane's run starts and the signed entry it ends at. */
  private async planRuns(runs: readonly LaneRun[]): Promise<RunPlan[]> {
    if (runs.length === 0) return [];
    const { db } = this.deps;
    const next = (run: LaneRun) => (BigInt(run.last) + 1n).toString();
    const followed = await findEntriesAt(db, runs.map((run) => ({ lane: run.lane, seq: next(run) })));
    // A checkpoint that signs a run's last entry was made after it: the search starts at the earliest.
    const lastMade = await findEntriesAt(db, runs.map((run) => ({ lane: run.lane, seq: run.last })));
    const since = new Date(Math.min(...[...lastMade.values()].map((at) => at.getTime())) - CLOCK_MARGIN_MS);
    // The run goes on past the range to the first signed head at or after the entry that follows it, if one does.
    const signed = await this.firstSignedHeads(new Map(runs.map((run) => [run.lane, BigInt(followed.has(run.lane) ? next(run) : run.last)])), since);
    // A following entry written since the export's checkpoint is not signed yet: that run ends at the range's last entry.
    const unsigned = runs.filter((run) => !signed.has(run.lane));
    if (unsigned.length > 0) {
      for (const [lane, head] of await this.firstSignedHeads(new Map(unsigned.map((run) => [run.lane, BigInt(run.last)])), since)) signed.set(lane, head);
    }
    return runs.map((run) => {
      const head = signed.get(run.lane);
      if (!head) throw new Error(`no checkpoint signs the audit lane ${run.lane} at or after ${run.last}`);
      const beforeFirst = BigInt(run.first) - 2n;
      return { ...run, start: (beforeFirst < 0n ? 0n : beforeFirst).toString(), end: head.seq, signedBy: head.checkpoint };
    });
  }

  /**
   * firstSignedHeads finds, per lane, the first head a checkpoint signed at or after the wanted seq,
   * reading the checkpoints made since `since` in order.
   */
  private async firstSignedHeads(wanted: Map<string, bigint>, since: Date): Promise<Map<string, { seq: string; checkpoint: string }>> {
    const found = new Map<string, { seq: string; checkpoint: string }>();
    let afterSeq = "0";
    while (found.size < wanted.size) {
      const checkpoints = await findCheckpointsSince(this.deps.db, since, afterSeq, CHECKPOINTS_PER_READ);
      for (const { seq, jws } of checkpoints) {
        for (const [lane, headSeq] of signedPayload(jws).heads) {
          const need = wanted.get(lane);
          if (need !== undefined && !found.has(lane) && BigInt(headSeq) >= need) found.set(lane, { seq: String(headSeq), checkpoint: seq });
        }
      }
      if (checkpoints.length < CHECKPOINTS_PER_READ) break;
      afterSeq = checkpoints.at(-1)!.seq;
    }
    return found;
  }

  /**
   * cutsBefore finds the checkpoints of the retention cuts that runs start after: a run whose entry
   * before the range was dropped starts where the signed cut left its lane.
   */
  private async cutsBefore(runs: readonly LaneRun[]): Promise<StoredCheckpoint[]> {
    const previous = (run: LaneRun) => (BigInt(run.first) - 1n).toString();
    const later = runs.filter((run) => run.first !== "1");
    const present = await findEntriesAt(this.deps.db, later.map((run) => ({ lane: run.lane, seq: previous(run) })));
    const wanted = new Map(later.filter((run) => !present.has(run.lane)).map((run) => [run.lane, previous(run)]));
    if (wanted.size === 0) return [];
    const cuts = await findCutCheckpoints(this.deps.db);
    return cuts.filter(({ jws }) => (signedPayload(jws).cut ?? []).some(([lane, seq]) => wanted.get(lane) === String(seq)));
  }

  /**
   * checkpointLines yields, in order, the checkpoints of the cuts runs start after, and those that
   * sign the runs' ends and the export's own, with every one between these so their chain can be followed.
   */
  private async *checkpointLines(plans: readonly RunPlan[], snapshot: string | undefined, cuts: readonly StoredCheckpoint[]): AsyncGenerator<string[]> {
    if (snapshot === undefined) return;
    const seqs = [...plans.map((plan) => BigInt(plan.signedBy)), BigInt(snapshot)];
    const [first, last] = [seqs.reduce((a, b) => (b < a ? b : a)), seqs.reduce((a, b) => (b > a ? b : a))];
    const earlier = cuts.filter((cut) => BigInt(cut.seq) < first);
    if (earlier.length > 0) yield earlier.map(({ seq, jws }) => JSON.stringify({ type: "checkpoint", seq, jws } satisfies ExportCheckpointLine));
    for (let from = first; from <= last; from += BigInt(LINES_PER_BATCH)) {
      const to = from + BigInt(LINES_PER_BATCH) - 1n < last ? from + BigInt(LINES_PER_BATCH) - 1n : last;
      const checkpoints = await findCheckpointsBetween(this.deps.db, from.toString(), to.toString());
      yield checkpoints.map(({ seq, jws }) => JSON.stringify({ type: "checkpoint", seq, jws } satisfies ExportCheckpointLine));
    }
  }

  /** entryLines yields a lane's run, marking the entries outside the range. */
  private async *entryLines(plan: RunPlan, request: ExportRequest): AsyncGenerator<string[]> {
    let after = plan.start;
    for (;;) {
      const rows = await findLaneRange(this.deps.db, plan.lane, after, plan.end, LINES_PER_BATCH);
      if (rows.length === 0) return;
      yield rows.map((row) => {
        const line: ExportEntryLine = {
          type: "entry",
          inRange: row.created_at >= request.createdAfter && row.created_at < request.createdBefore,
          lane: row.lane,
          laneSeq: String(row.lane_seq),
          prevHash: Buffer.from(row.prev_hash).toString("hex"),
          hash: Buffer.from(row.hash).toString("hex"),
          entry: exportedRecord(recordOf(row)),
        };
        return JSON.stringify(line);
      });
      after = String(rows.at(-1)!.lane_seq);
    }
  }
}
