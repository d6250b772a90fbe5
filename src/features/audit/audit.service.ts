import type { Db, DbOrTx, Tx } from "../../db/database.js";
import { dropPartitions, ensureMonthlyPartitions, findMonthlyPartitionsBefore } from "../../db/partitions.js";
import { beforeCommit, transaction } from "../../db/transaction.js";
import type { JsonObject } from "../../shared/json.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/logger.js";
import { newId } from "../../platform/crypto/random.js";
import { filterScope, pageOf, readPageToken } from "../../shared/page-token.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { JSONWebKeySet } from "jose";
import type { AuditRecord } from "./audit-hash.js";
import { ChainCheck, type ChainReport } from "./audit-chain.js";
import { checkpointDigest, readCheckpoints, signCheckpoint, type CheckpointKey, type CheckpointPayload } from "./audit-checkpoints.js";
import { laneOf } from "./audit-lanes.js";
import {
  appendToLane,
  countEventsPerUser,
  countEventsSince,
  findCheckpoints,
  findEntries,
  findLaneRows,
  findLastCheckpoint,
  findLastEntriesBefore,
  findLastEventAt,
  findUnsignedHeads,
  insertCheckpoint,
  lockCheckpoints,
  markSigned,
  recordOf,
  type AuditFilter,
  type AuditRow,
  type LaneHead,
} from "./audit.repository.js";

/** AuditEvent describes one change for the audit trail. Values must hold no secrets. */
export interface AuditEvent {
  actorUserId: string | null;
  action: string;
  resourceType: string;
  resourceId: string;
  organizationId?: string;
  oldValues?: JsonObject;
  newValues?: JsonObject;
  reason?: string;
  origin: RequestOrigin;
  complianceRelevant?: boolean;
  /** The user the system acts for, when it acts on someone's request (a verification an officer asked for). */
  onBehalfOfUserId?: string;
}

/**
 * AuditLog records changes in the transaction that makes them. A transaction's entries are appended
 * as its last work, just before it commits (lanes in name order, each entry in the order recorded):
 * a lane's lock is then held only from its append to the commit, and two transactions that write
 * to the same two lanes take their locks in the same order, so neither waits for the other forever.
 */
export class AuditLog {
  private readonly recorded = new WeakMap<Tx, AuditRecord[]>();

  /** platformLanes is how many lanes events outside organizations spread over (AUDIT_CHAIN_LANES). */
  constructor(
    private readonly clock: Clock,
    private readonly platformLanes: number,
  ) {}

  /** record adds event to the audit trail with trx (opened with transaction()), once its work is done. */
  async record(trx: Tx, event: AuditEvent): Promise<void> {
    // A JSON round trip drops undefined members, as jsonb will, so the hash matches what is stored.
    const json = (value: JsonObject | undefined) => (value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonObject));
    const record = {
      id: newId(),
      actorUserId: event.actorUserId,
      action: event.action,
      resourceType: event.resourceType,
      resourceId: event.resourceId,
      organizationId: event.organizationId ?? null,
      oldValues: json(event.oldValues),
      newValues: json(event.newValues),
      reason: event.reason ?? null,
      ipAddress: event.origin.ipAddress ?? null,
      userAgent: event.origin.userAgent ?? null,
      complianceRelevant: event.complianceRelevant ?? false,
      createdAt: this.clock.now(),
      requestId: event.origin.requestId ?? null,
      onBehalfOfUserId: event.onBehalfOfUserId ?? null,
    };
    const queued = this.recorded.get(trx);
    if (queued) {
      queued.push(record);
      return;
    }
    this.recorded.set(trx, [record]);
    beforeCommit(trx, () => this.append(trx));
  }

  private async append(trx: Tx): Promise<void> {
    const records = this.recorded.get(trx) ?? [];
    this.recorded.delete(trx);
    const laned = records.map((record) => ({ lane: laneOf(record, this.platformLanes), record }));
    // A stable sort: within a lane, the order recorded.
    laned.sort((a, b) => (a.lane < b.lane ? -1 : a.lane > b.lane ? 1 : 0));
    for (const { lane, record } of laned) await appendToLane(trx, lane, record);
  }

  /** countSince counts the entries of these actions about or by a user since a time. */
  countSince(db: DbOrTx, userId: string, actions: readonly string[], since: Date): Promise<number> {
    return countEventsSince(db, userId, actions, since);
  }

  /** countPerUser counts the entries of these actions in [from, to) per user (or for one): by them, or about them when no one acted. */
  countPerUser(db: DbOrTx, actions: readonly string[], from: Date, to: Date, userId?: string): Promise<Map<string, number>> {
    return countEventsPerUser(db, actions, from, to, userId);
  }

  /** lastAt is when a user last did one of these actions, if ever. */
  lastAt(db: DbOrTx, userId: string, actions: readonly string[]): Promise<Date | undefined> {
    return findLastEventAt(db, userId, actions);
  }
}

/** AuditPage is one page of the audit trail. */
export interface AuditPage {
  entries: AuditRow[];
  nextPageToken: string;
}

/** VERIFY_BATCH is how many entries the chain check reads at a time. */
const VERIFY_BATCH = 2000;

/** AuditTrailDeps is what the audit trail's reader and checker need. */
export interface AuditTrailDeps {
  db: Db;
  clock: Clock;
  /** Signs checkpoints: the service's access-token signing key. */
  key: CheckpointKey;
  /** The published keys checkpoints verify with (the JWKS, previous keys included). */
  jwks: () => JSONWebKeySet;
  /** Who signs: the access tokens' issuer. */
  issuer: string;
  /** How long entries are kept, in days (AUDIT_RETENTION_DAYS); whole months go. */
  retentionDays: number;
  log: Logger;
}

/** PARTITIONS_AHEAD is how many months ahead the trail's partitions are made. */
const PARTITIONS_AHEAD = 3;

const DAY_MS = 86_400_000;

/** hexHeads is how a checkpoint signs lane entries: lane, seq (a decimal string, whichever driver read it) and hash in hex. */
const hexHeads = (heads: readonly LaneHead[]) => heads.map((head): [string, string, string] => [head.lane, String(head.seq), Buffer.from(head.hash).toString("hex")]);

/** AuditTrail reads the trail, checks its chains and signs checkpoints of their heads. */
export class AuditTrail {
  constructor(private readonly deps: AuditTrailDeps) {}

  /** list pages through the entries matching filter, newest first; a page token only continues the same filter. */
  async list(filter: AuditFilter, limit: number, pageToken: string): Promise<AuditPage> {
    const scope = filterScope({ ...filter });
    const rows = await findEntries(this.deps.db, filter, limit + 1, pageToken ? readPageToken(pageToken, scope) : undefined);
    const { page, nextPageToken } = pageOf(rows, limit, (row) => ({ at: row.created_at, id: row.id }), scope);
    return { entries: page, nextPageToken };
  }

  /** verify recomputes every lane's chain and checks it against the signed checkpoints. */
  async verify(): Promise<ChainReport> {
    const { db, jwks } = this.deps;
    // Checkpoints first: every head they sign was committed before they were, so the rows read next include it.
    const check = new ChainCheck(await readCheckpoints(await findCheckpoints(db), jwks()));
    let after: AuditRow | undefined;
    for (;;) {
      const rows = await findLaneRows(db, after && { lane: after.lane, seq: after.lane_seq }, VERIFY_BATCH);
      for (const row of rows) {
        check.add({ lane: row.lane, laneSeq: BigInt(row.lane_seq), prevHash: Buffer.from(row.prev_hash), hash: Buffer.from(row.hash), record: recordOf(row) });
      }
      if (rows.length < VERIFY_BATCH) break;
      after = rows.at(-1);
    }
    return check.finish();
  }

  /**
   * checkpoint signs the heads of the lanes that moved since the last checkpoint, chained to it,
   * and returns how many it signed (none: no checkpoint is written).
   */
  async checkpoint(): Promise<number> {
    return (await this.signHeads([])).signed;
  }

  /**
   * checkpointWith signs, like checkpoint, the heads that moved and also the current heads of these
   * lanes, moved or not (a checkpoint made after a time that signs a lane's head shows the lane had
   * nothing after it then), and returns the checkpoint's position.
   */
  async checkpointWith(lanes: readonly string[]): Promise<string> {
    const { seq } = await this.signHeads(lanes);
    if (seq === undefined) throw new Error(`the audit lanes ${lanes.join(", ")} have no head to sign`);
    return seq;
  }

  private signHeads(lanes: readonly string[]): Promise<{ signed: number; seq?: string }> {
    return transaction(this.deps.db, async (trx) => {
      await lockCheckpoints(trx);
      const heads = await findUnsignedHeads(trx, lanes);
      if (heads.length === 0) return { signed: 0 };
      const seq = await this.appendCheckpoint(trx, { heads: hexHeads(heads) });
      await markSigned(trx, heads);
      return { signed: heads.length, seq };
    });
  }

  /**
   * preparePartitions makes the trail's partitions of this month and the next ones, those missing.
   * A month whose entries already went to the default partition (the job did not run for months)
   * keeps them there, past retention too: nothing is lost, and it is said.
   */
  async preparePartitions(): Promise<void> {
    const held = await ensureMonthlyPartitions(this.deps.db, "audit_trail", this.deps.clock.now(), PARTITIONS_AHEAD);
    if (held.length > 0) this.deps.log.warn({ partitions: held }, "audit entries of these months are in audit_trail_default, as their partitions were not made in time; they stay there");
  }

  /**
   * maintainPartitions makes the coming months' partitions and drops the months wholly older than
   * the retention period; it returns the partitions dropped. In the same transaction it signs a
   * checkpoint of the cut, each lane's last entry that goes, so the chains stay verifiable from there.
   */
  async maintainPartitions(): Promise<string[]> {
    const { db, clock, retentionDays } = this.deps;
    await this.preparePartitions();
    const cutoff = new Date(clock.now().getTime() - retentionDays * DAY_MS);
    return transaction(db, async (trx) => {
      await lockCheckpoints(trx);
      const partitions = await findMonthlyPartitionsBefore(trx, "audit_trail", cutoff);
      if (partitions.length === 0) return [];
      const cut = await findLastEntriesBefore(trx, partitions.at(-1)!.end);
      if (cut.length > 0) await this.appendCheckpoint(trx, { heads: [], cut: hexHeads(cut) });
      await dropPartitions(trx, "audit_trail", partitions);
      return partitions.map((partition) => partition.name);
    });
  }

  /** appendCheckpoint signs what is given, chained to the last checkpoint, and appends it (returning its position); the caller holds the checkpoint lock. */
  private async appendCheckpoint(trx: Tx, signed: Pick<CheckpointPayload, "heads" | "cut">): Promise<string> {
    const { clock, key, issuer } = this.deps;
    const last = await findLastCheckpoint(trx);
    const now = clock.now();
    const jws = await signCheckpoint(key, {
      iss: issuer,
      iat: Math.floor(now.getTime() / 1000),
      prev: last === undefined ? null : checkpointDigest(last),
      ...signed,
    });
    return insertCheckpoint(trx, jws, now, signed.cut !== undefined);
  }
}
