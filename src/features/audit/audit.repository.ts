import { sql, type Selectable } from "kysely";
import type { DbOrTx, Tx } from "../../db/database.js";
import type { AuditTrailTable } from "../../db/tables/audit.js";
import type { PagePosition } from "../../shared/page-token.js";
import { auditHash, GENESIS_HASH, type AuditRecord } from "./audit-hash.js";

/** AuditRow is a stored audit entry. */
export type AuditRow = Selectable<AuditTrailTable>;

/**
 * appendToLane appends a row to a lane of the audit trail, chained to the lane's head. The lane's
 * lock is held until the transaction ends, so the next writer of the lane chains to this row only
 * once it is committed, and a rolled-back row is never a head. A row is never dated before the head
 * it follows, so each lane is ordered in time too.
 */
export async function appendToLane(trx: Tx, lane: string, record: AuditRecord): Promise<void> {
  const { rows } = await sql<{ seq: string; hash: Buffer; created_at: Date }>`select * from audit_lane_head(${lane})`.execute(trx);
  const head = rows[0];
  const seq = head ? BigInt(head.seq) + 1n : 1n;
  const prevHash = head ? Buffer.from(head.hash) : GENESIS_HASH;
  const chained = head && head.created_at > record.createdAt ? { ...record, createdAt: head.created_at } : record;
  const hash = auditHash(prevHash, chained);
  await trx
    .with("head", (db) =>
      db
        .insertInto("audit_lane_heads")
        .values({ lane, seq: seq.toString(), hash, created_at: chained.createdAt })
        .onConflict((oc) => oc.column("lane").doUpdateSet({ seq: seq.toString(), hash, created_at: chained.createdAt }))
        .returning("lane"),
    )
    .insertInto("audit_trail")
    .values({
      id: chained.id,
      lane,
      lane_seq: seq.toString(),
      actor_user_id: chained.actorUserId,
      action: chained.action,
      resource_type: chained.resourceType,
      resource_id: chained.resourceId,
      organization_id: chained.organizationId,
      old_values: chained.oldValues === null ? null : JSON.stringify(chained.oldValues),
      new_values: chained.newValues === null ? null : JSON.stringify(chained.newValues),
      reason: chained.reason,
      ip_address: chained.ipAddress,
      user_agent: chained.userAgent,
      compliance_relevant: chained.complianceRelevant,
      created_at: chained.createdAt,
      request_id: chained.requestId,
      on_behalf_of_user_id: chained.onBehalfOfUserId,
      prev_hash: prevHash,
      hash,
    })
    .execute();
}

/** recordOf reads a stored row back into the content its hash covers. */
export function recordOf(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    actorUserId: row.actor_user_id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    organizationId: row.organization_id,
    oldValues: row.old_values,
    newValues: row.new_values,
    reason: row.reason,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    complianceRelevant: row.compliance_relevant,
    createdAt: row.created_at,
    requestId: row.request_id,
    onBehalfOfUserId: row.on_behalf_of_user_id,
  };
}

/** countEventsSince counts the audit entries of these actions about or by a user since a time. */
export async function countEventsSince(db: DbOrTx, userId: string, actions: readonly string[], since: Date): Promise<number> {
  const row = await db
    .selectFrom("audit_trail")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .where("action", "in", actions)
    .where("created_at", ">=", since)
    .where((eb) => eb.or([eb("resource_id", "=", userId), eb("actor_user_id", "=", userId)]))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * countEventsPerUser counts, per user (or for one), the entries of these actions in [from, to): by
 * the user, or about them when no one acted (a failed sign-in has no actor).
 */
export async function countEventsPerUser(db: DbOrTx, actions: readonly string[], from: Date, to: Date, userId?: string): Promise<Map<string, number>> {
  const subject = sql<string>`coalesce(actor_user_id::text, resource_id)`;
  let query = db
    .selectFrom("audit_trail")
    .select((eb) => [subject.as("user_id"), eb.fn.countAll<string>().as("count")])
    .where("action", "in", actions)
    .where("created_at", ">=", from)
    .where("created_at", "<", to)
    .groupBy(subject);
  if (userId !== undefined) query = query.where((eb) => eb.or([eb("actor_user_id", "=", userId), eb.and([eb("actor_user_id", "is", null), eb("resource_id", "=", userId)])]));
  const rows = await query.execute();
  return new Map(rows.map((row) => [row.user_id, Number(row.count)]));
}

/** findLastEventAt is when a user last did one of these actions, if ever. */
export async function findLastEventAt(db: DbOrTx, userId: string, actions: readonly string[]): Promise<Date | undefined> {
  const row = await db
    .selectFrom("audit_trail")
    .select("created_at")
    .where("actor_user_id", "=", userId)
    .where("action", "in", actions)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.created_at;
}

/** AuditFilter selects audit entries; each field left undefined matches all. */
export interface AuditFilter {
  resourceType?: string;
  resourceId?: string;
  actorUserId?: string;
  organizationId?: string;
  createdAfter?: Date;
  createdBefore?: Date;
}

/** findEntries lists the entries matching filter, newest first, after a page position. */
export function findEntries(db: DbOrTx, filter: AuditFilter, limit: number, after: PagePosition | undefined): Promise<AuditRow[]> {
  let query = db.selectFrom("audit_trail").selectAll();
  if (filter.resourceType !== undefined) query = query.where("resource_type", "=", filter.resourceType);
  if (filter.resourceId !== undefined) query = query.where("resource_id", "=", filter.resourceId);
  if (filter.actorUserId !== undefined) query = query.where("actor_user_id", "=", filter.actorUserId);
  if (filter.organizationId !== undefined) query = query.where("organization_id", "=", filter.organizationId);
  if (filter.createdAfter !== undefined) query = query.where("created_at", ">=", filter.createdAfter);
  if (filter.createdBefore !== undefined) query = query.where("created_at", "<", filter.createdBefore);
  if (after) query = query.where((eb) => eb(eb.refTuple("created_at", "id"), "<", eb.tuple(after.at, after.id)));
  return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
}

/** LanePosition is a row's place in the trail's lane order. */
export interface LanePosition {
  lane: string;
  seq: string;
}

/** findLaneRows reads rows in lane order (lane, then seq within it), after a position. */
export function findLaneRows(db: DbOrTx, after: LanePosition | undefined, limit: number): Promise<AuditRow[]> {
  let query = db.selectFrom("audit_trail").selectAll();
  if (after) query = query.where((eb) => eb(eb.refTuple("lane", "lane_seq"), ">", eb.tuple(after.lane, after.seq)));
  return query.orderBy("lane").orderBy("lane_seq").limit(limit).execute();
}

/** LaneHead is a lane's last entry. */
export interface LaneHead {
  lane: string;
  seq: string;
  hash: Buffer;
}

/** CHECKPOINT_LOCK orders checkpoint writers, so each chains to the one before it. */
const CHECKPOINT_LOCK = 0x5a0d18;

/** lockCheckpoints waits until no other checkpoint is being written; held until trx ends. */
export async function lockCheckpoints(trx: Tx): Promise<void> {
  await sql`select pg_advisory_xact_lock(${CHECKPOINT_LOCK})`.execute(trx);
}

/** findUnsignedHeads lists the lanes whose head moved since the last checkpoint, and the heads of these lanes as well. */
export function findUnsignedHeads(db: DbOrTx, lanes: readonly string[] = []): Promise<LaneHead[]> {
  return db
    .selectFrom("audit_lane_heads")
    .select(["lane", "seq", "hash"])
    .where((eb) => eb.or([eb("seq", ">", eb.ref("signed_seq")), eb("lane", "=", sql<string>`any(${[...lanes]}::text[])`)]))
    .orderBy("lane")
    .execute();
}

/** markSigned records the heads a checkpoint signed. */
export async function markSigned(trx: Tx, heads: readonly LaneHead[]): Promise<void> {
  const signed = JSON.stringify(heads.map(({ lane, seq }) => ({ lane, seq })));
  await sql`update audit_lane_heads as h set signed_seq = v.seq
    from jsonb_to_recordset(${signed}::jsonb) as v(lane text, seq bigint)
    where h.lane = v.lane and h.signed_seq < v.seq`.execute(trx);
}

/** findLastEntriesBefore lists each lane's last entry dated before a time: where a cut there leaves the lane. */
export async function findLastEntriesBefore(db: DbOrTx, before: Date): Promise<LaneHead[]> {
  const { rows } = await sql<{ lane: string; seq: string; hash: Buffer }>`select distinct on (lane) lane, lane_seq as seq, hash
    from audit_trail where created_at < ${before} order by lane, lane_seq desc`.execute(db);
  return rows;
}

/** insertCheckpoint appends a signed checkpoint (of a retention cut, or of heads) and returns its position. */
export async function insertCheckpoint(trx: Tx, jws: string, createdAt: Date, cut: boolean): Promise<string> {
  const row = await trx
    .insertInto("audit_checkpoints")
    .values({ jws, created_at: createdAt, ...(cut && { cut }) })
    .returning("seq")
    .executeTakeFirstOrThrow();
  return String(row.seq);
}

/** findCutCheckpoints lists the checkpoints that sign retention cuts, oldest first. */
export async function findCutCheckpoints(db: DbOrTx): Promise<StoredCheckpoint[]> {
  const rows = await db.selectFrom("audit_checkpoints").select(["seq", "jws"]).where("cut", "=", true).orderBy("seq").execute();
  return rows.map((row) => ({ seq: String(row.seq), jws: row.jws }));
}

/** findLastCheckpoint is the latest checkpoint, if any. */
export async function findLastCheckpoint(db: DbOrTx): Promise<string | undefined> {
  const row = await db.selectFrom("audit_checkpoints").select("jws").orderBy("seq", "desc").limit(1).executeTakeFirst();
  return row?.jws;
}

/** findCheckpoints lists every checkpoint, oldest first. */
export async function findCheckpoints(db: DbOrTx): Promise<string[]> {
  const rows = await db.selectFrom("audit_checkpoints").select("jws").orderBy("seq").execute();
  return rows.map((row) => row.jws);
}

/** LaneRun is the part of a lane within a time range: its first and last entries' seqs. */
export interface LaneRun {
  lane: string;
  first: string;
  last: string;
}

/** findLaneRuns lists, per lane (or for one), the first and last entries dated in [from, to), by lane. */
export async function findLaneRuns(db: DbOrTx, from: Date, to: Date, lane?: string): Promise<LaneRun[]> {
  let query = db
    .selectFrom("audit_trail")
    .select((eb) => ["lane", eb.fn.min("lane_seq").as("first"), eb.fn.max("lane_seq").as("last")])
    .where("created_at", ">=", from)
    .where("created_at", "<", to)
    .groupBy("lane")
    .orderBy("lane");
  if (lane !== undefined) query = query.where("lane", "=", lane);
  const rows = await query.execute();
  return rows.map((row) => ({ lane: row.lane, first: String(row.first), last: String(row.last) }));
}

/** findEntriesAt lists which of these lane positions hold an entry, with when it was made. */
export async function findEntriesAt(db: DbOrTx, positions: readonly LanePosition[]): Promise<Map<string, Date>> {
  if (positions.length === 0) return new Map();
  const wanted = JSON.stringify(positions);
  const { rows } = await sql<{ lane: string; created_at: Date }>`select t.lane, t.created_at from audit_trail t
    join jsonb_to_recordset(${wanted}::jsonb) as p(lane text, seq bigint) on t.lane = p.lane and t.lane_seq = p.seq`.execute(db);
  return new Map(rows.map((row) => [row.lane, row.created_at]));
}

/** StoredCheckpoint is a checkpoint with its position among all checkpoints. */
export interface StoredCheckpoint {
  seq: string;
  jws: string;
}

/** findCheckpointsSince lists checkpoints made at or after a time, after a position, oldest first. */
export async function findCheckpointsSince(db: DbOrTx, since: Date, afterSeq: string, limit: number): Promise<StoredCheckpoint[]> {
  const rows = await db
    .selectFrom("audit_checkpoints")
    .select(["seq", "jws"])
    .where("created_at", ">=", since)
    .where("seq", ">", afterSeq)
    .orderBy("seq")
    .limit(limit)
    .execute();
  return rows.map((row) => ({ seq: String(row.seq), jws: row.jws }));
}

/** findCheckpointsBetween lists the checkpoints from one position to another, both included, oldest first. */
export async function findCheckpointsBetween(db: DbOrTx, fromSeq: string, toSeq: string): Promise<StoredCheckpoint[]> {
  const rows = await db.selectFrom("audit_checkpoints").select(["seq", "jws"]).where("seq", ">=", fromSeq).where("seq", "<=", toSeq).orderBy("seq").execute();
  return rows.map((row) => ({ seq: String(row.seq), jws: row.jws }));
}

/** findLaneRange reads a lane's entries with seqs in (after, to], in order, at most limit. */
export function findLaneRange(db: DbOrTx, lane: string, after: string, to: string, limit: number): Promise<AuditRow[]> {
  return db
    .selectFrom("audit_trail")
    .selectAll()
    .where("lane", "=", lane)
    .where("lane_seq", ">", after)
    .where("lane_seq", "<=", to)
    .orderBy("lane_seq")
    .limit(limit)
    .execute();
}
