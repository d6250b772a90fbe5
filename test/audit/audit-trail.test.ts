import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { compactVerify, createLocalJWKSet } from "jose";
import { sql } from "kysely";
import { AuditChainProblem, AuditService } from "../../gen/platform/user/v1/audit_service_pb.js";
import { transaction } from "../../src/db/transaction.js";
import { AuditLog } from "../../src/features/audit/index.js";
import { auditHash, GENESIS_HASH } from "../../src/features/audit/audit-hash.js";
import { signCheckpoint } from "../../src/features/audit/audit-checkpoints.js";
import { recordOf, type AuditRow } from "../../src/features/audit/audit.repository.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { tamperWith } from "../support/audit.js";
import { authClient, profileClient, registerUser, registerWithRole } from "../support/factories.js";
import { createOrganization } from "../support/organizations.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

/** lanesOf groups rows by lane, each in lane order. */
function lanesOf(rows: AuditRow[]): Map<string, AuditRow[]> {
  const lanes = new Map<string, AuditRow[]>();
  for (const row of [...rows].sort((a, b) => Number(BigInt(a.lane_seq) - BigInt(b.lane_seq)))) {
    lanes.set(row.lane, [...(lanes.get(row.lane) ?? []), row]);
  }
  return lanes;
}

/**
 * chainBreaks lists every row, by lane and position, that does not follow the row before it in its
 * lane (seq one higher, prev_hash its hash; genesis and 1 for the first) or whose hash does not match
 * its own content. An independent reading of the chain, not the service's own check.
 */
function chainBreaks(rows: AuditRow[]): string[] {
  const breaks: string[] = [];
  for (const [lane, laneRows] of lanesOf(rows)) {
    let expectedPrev = GENESIS_HASH;
    laneRows.forEach((row, index) => {
      if (row.lane_seq !== String(index + 1)) breaks.push(`${lane}#${row.lane_seq}: not at position ${index + 1}`);
      if (!Buffer.from(row.prev_hash).equals(expectedPrev)) breaks.push(`${lane}#${row.lane_seq}: prev_hash is not the previous row's hash`);
      if (!Buffer.from(row.hash).equals(auditHash(Buffer.from(row.prev_hash), recordOf(row)))) breaks.push(`${lane}#${row.lane_seq}: hash does not match the row`);
      expectedPrev = Buffer.from(row.hash);
    });
  }
  return breaks;
}

describeWithServices("audit trail", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "1000", AUDIT_CHAIN_LANES: "4" } });
  });
  afterAll(() => t?.close());

  const allRows = () => t.db.selectFrom("audit_trail").selectAll().execute();

  /** Writes rows of every shape the service produces: with and without actor, values, reason, address, organization. */
  async function recordVariedEvents(): Promise<string> {
    const user = await registerUser(t);
    await profileClient(t, user.accessToken).updateProfile({ fullName: "Changed Name" });
    await registerWithRole(t, "support");
    const organizationId = await createOrganization(t, user);
    await authClient(t, user.accessToken).logout({});
    return organizationId;
  }

  describe("lanes", () => {
    it("chains every row to the one before it in its lane and hashes each row's stored content", async () => {
      const organizationId = await recordVariedEvents();

      const rows = await allRows();

      expect(new Set(rows.map((r) => r.action))).toEqual(new Set(["user.register", "profile.update", "platform_role.grant", "organization.create", "auth.logout"]));
      expect(chainBreaks(rows)).toEqual([]);
      // An organization's events have a lane of their own; the rest spread over AUDIT_CHAIN_LANES lanes.
      const lanes = new Set(rows.map((r) => r.lane));
      expect(rows.filter((r) => r.organization_id === organizationId).every((r) => r.lane === `org:${organizationId}`)).toBe(true);
      expect([...lanes].filter((lane) => lane.startsWith("platform:")).every((lane) => /^platform:[0-3]$/.test(lane))).toBe(true);
    });

    it("keeps one user's own actions in one lane, in order", async () => {
      const user = await registerUser(t);
      for (const fullName of ["First Name", "Second Name", "Third Name"]) await profileClient(t, user.accessToken).updateProfile({ fullName });

      const rows = await t.db.selectFrom("audit_trail").selectAll().where("actor_user_id", "=", user.userId).orderBy("lane_seq").execute();

      expect(new Set(rows.map((r) => r.lane)).size).toBe(1);
      expect(rows.filter((r) => r.action === "profile.update").map((r) => r.new_values?.fullName)).toEqual(["First Name", "Second Name", "Third Name"]);
    });

    it("stays unbroken when writers of the same lanes run concurrently", async () => {
      const before = (await allRows()).length;

      await Promise.all(Array.from({ length: 20 }, () => registerUser(t)));

      const rows = await allRows();
      expect(rows.length - before).toBe(20);
      expect(chainBreaks(rows)).toEqual([]);
      // Two writers that read the same head would both chain to it.
      expect(new Set(rows.map((r) => `${r.lane} ${Buffer.from(r.prev_hash).toString("hex")}`)).size).toBe(rows.length);
    });

    it("keeps each lane's head beside the trail", async () => {
      const heads = await t.db.selectFrom("audit_lane_heads").selectAll().execute();
      const lanes = lanesOf(await allRows());

      expect(heads.map((h) => h.lane).sort()).toEqual([...lanes.keys()].sort());
      for (const head of heads) {
        const last = lanes.get(head.lane)!.at(-1)!;
        expect({ seq: head.seq, hash: Buffer.from(head.hash).toString("hex") }).toEqual({ seq: last.lane_seq, hash: Buffer.from(last.hash).toString("hex") });
      }
    });
  });

  describe("append-only", () => {
    // The trigger raises insufficient_privilege, as opposed to a query that failed for another reason.
    const refusedByTrigger = { code: "42501" };

    it("refuses UPDATE, DELETE and TRUNCATE of entries and checkpoints and leaves the rows as they were", async () => {
      await registerUser(t);
      await t.app.context.auditTrail.checkpoint();
      const before = await allRows();
      const checkpoints = await t.db.selectFrom("audit_checkpoints").selectAll().execute();

      await expect(sql`update audit_trail set reason = 'tampered'`.execute(t.db)).rejects.toMatchObject(refusedByTrigger);
      await expect(sql`delete from audit_trail`.execute(t.db)).rejects.toMatchObject(refusedByTrigger);
      await expect(sql`truncate audit_trail`.execute(t.db)).rejects.toMatchObject(refusedByTrigger);
      await expect(sql`update audit_checkpoints set jws = 'forged'`.execute(t.db)).rejects.toMatchObject(refusedByTrigger);
      await expect(sql`delete from audit_checkpoints`.execute(t.db)).rejects.toMatchObject(refusedByTrigger);
      await expect(sql`truncate audit_checkpoints`.execute(t.db)).rejects.toMatchObject(refusedByTrigger);

      expect(await allRows()).toEqual(before);
      expect(await t.db.selectFrom("audit_checkpoints").selectAll().execute()).toEqual(checkpoints);
    });
  });

  describe("checkpoints", () => {
    it("signs the heads of the lanes that moved, chained to the checkpoint before, verifiable with the published JWKS alone", async () => {
      await t.app.context.auditTrail.checkpoint();
      const user = await registerUser(t);
      const moved = (await t.db.selectFrom("audit_trail").select("lane").where("resource_id", "=", user.userId).executeTakeFirstOrThrow()).lane;

      expect(await t.app.context.auditTrail.checkpoint()).toBe(1);
      expect(await t.app.context.auditTrail.checkpoint()).toBe(0);

      const [previous, latest] = (await t.db.selectFrom("audit_checkpoints").select("jws").orderBy("seq", "desc").limit(2).execute()).reverse();
      const jwks = (await (await fetch(`${t.baseUrl}/.well-known/jwks.json`)).json()) as Parameters<typeof createLocalJWKSet>[0];
      const { payload, protectedHeader } = await compactVerify(latest!.jws, createLocalJWKSet(jwks));
      const signed = JSON.parse(Buffer.from(payload).toString("utf8")) as { prev: string; heads: string[][] };
      const head = await t.db.selectFrom("audit_lane_heads").selectAll().where("lane", "=", moved).executeTakeFirstOrThrow();

      expect(protectedHeader.typ).toBe("audit-checkpoint+json");
      expect(signed.heads).toEqual([[moved, head.seq, Buffer.from(head.hash).toString("hex")]]);
      expect(signed.prev).toBe((await import("node:crypto")).createHash("sha256").update(previous!.jws).digest("base64url"));
    });
  });
});

describeWithServices("VerifyAuditChain", () => {
  // Each case tampers with a trail of its own: a trail once broken stays broken.
  let t: TestApp;
  afterEach(() => t?.close());

  async function trailWithCheckpoint(): Promise<{ officerToken: string; userId: string }> {
    t = await startTestApp({ env: { AUDIT_CHAIN_LANES: "2" } });
    const officer = await registerWithRole(t, "compliance_officer");
    const user = await registerUser(t);
    for (const fullName of ["Name One", "Name Two", "Name Three"]) await profileClient(t, user.accessToken).updateProfile({ fullName });
    await t.app.context.auditTrail.checkpoint();
    return { officerToken: officer.accessToken, userId: user.userId };
  }
  const verify = (token: string) => createClient(AuditService, t.transport({ token })).verifyAuditChain({});
  const userRows = (userId: string) => t.db.selectFrom("audit_trail").selectAll().where("resource_id", "=", userId).orderBy("lane_seq").execute();

  it("finds an untouched trail valid, counting every entry, lane and checkpoint", async () => {
    const { officerToken } = await trailWithCheckpoint();
    const rows = await t.db.selectFrom("audit_trail").select("lane").execute();

    const report = await verify(officerToken);

    expect(report).toMatchObject({ valid: true, checked: BigInt(rows.length), lanes: new Set(rows.map((r) => r.lane)).size, checkpoints: 1, problem: AuditChainProblem.UNSPECIFIED, firstBrokenId: "" });
  });

  it("stays valid when AUDIT_CHAIN_LANES changes: later events chain in the lanes the new count picks", async () => {
    const { officerToken } = await trailWithCheckpoint();
    const lanesBefore = new Set((await t.db.selectFrom("audit_trail").select("lane").execute()).map((r) => r.lane));
    const wider = new AuditLog(t.app.context.clock, 7);
    for (let n = 0; n < 20; n++) {
      await transaction(t.db, (trx) =>
        wider.record(trx, { actorUserId: randomUUID(), action: "profile.update", resourceType: "user", resourceId: randomUUID(), origin: {} }),
      );
    }
    await t.app.context.auditTrail.checkpoint();
    const lanesAfter = new Set((await t.db.selectFrom("audit_trail").select("lane").execute()).map((r) => r.lane));

    expect([...lanesAfter].filter((lane) => !lanesBefore.has(lane)).length).toBeGreaterThan(0);
    expect(await verify(officerToken)).toMatchObject({ valid: true, lanes: lanesAfter.size, checkpoints: 2 });
  });

  it("names an entry whose content was edited", async () => {
    const { officerToken, userId } = await trailWithCheckpoint();
    const edited = (await userRows(userId))[1]!;
    await tamperWith(t.db, sql`update audit_trail set new_values = '{"fullName":"Someone Else"}' where id = ${edited.id}`);

    expect(await verify(officerToken)).toMatchObject({ valid: false, problem: AuditChainProblem.CONTENT_CHANGED, firstBrokenId: edited.id, brokenLane: edited.lane });
  });

  it("names the entry after one that was deleted", async () => {
    const { officerToken, userId } = await trailWithCheckpoint();
    const [, deleted, next] = await userRows(userId);
    await tamperWith(t.db, sql`delete from audit_trail where id = ${deleted!.id}`);

    expect(await verify(officerToken)).toMatchObject({ valid: false, problem: AuditChainProblem.ENTRIES_MISSING, firstBrokenId: next!.id });
  });

  it("names an entry that no longer chains to the one before it", async () => {
    const { officerToken, userId } = await trailWithCheckpoint();
    const [, replaced, next] = await userRows(userId);
    // The replacement's own hash is right, but the next entry chained to the original's.
    const record = { ...recordOf(replaced!), reason: "forged" };
    const hash = auditHash(Buffer.from(replaced!.prev_hash), record);
    await tamperWith(t.db, sql`update audit_trail set reason = 'forged', hash = ${hash} where id = ${replaced!.id}`);

    expect(await verify(officerToken)).toMatchObject({ valid: false, problem: AuditChainProblem.LINK_BROKEN, firstBrokenId: next!.id });
  });

  it("detects the last entries of a lane deleted after a checkpoint signed them", async () => {
    const { officerToken, userId } = await trailWithCheckpoint();
    const last = (await userRows(userId)).at(-1)!;
    await tamperWith(t.db, sql`delete from audit_trail where lane = ${last.lane} and lane_seq >= ${last.lane_seq}`);

    expect(await verify(officerToken)).toMatchObject({ valid: false, problem: AuditChainProblem.TRUNCATED, brokenLane: last.lane, firstBrokenId: "" });
  });

  it("detects a lane dropped whole", async () => {
    const { officerToken, userId } = await trailWithCheckpoint();
    const { lane } = (await userRows(userId))[0]!;
    await tamperWith(t.db, sql`delete from audit_trail where lane = ${lane}`);

    expect(await verify(officerToken)).toMatchObject({ valid: false, problem: AuditChainProblem.TRUNCATED, brokenLane: lane });
  });

  it("detects a lane rewritten with fresh hashes against what the checkpoint signed", async () => {
    const { officerToken, userId } = await trailWithCheckpoint();
    const last = (await userRows(userId)).at(-1)!;
    const hash = auditHash(Buffer.from(last.prev_hash), { ...recordOf(last), newValues: { fullName: "Rewritten" } });
    await tamperWith(t.db, sql`update audit_trail set new_values = '{"fullName":"Rewritten"}', hash = ${hash} where id = ${last.id}`);

    expect(await verify(officerToken)).toMatchObject({ valid: false, problem: AuditChainProblem.CONTENT_CHANGED, firstBrokenId: last.id });
  });

  it("refuses a checkpoint signed with another key", async () => {
    const { officerToken } = await trailWithCheckpoint();
    const [lastCheckpoint] = await t.db.selectFrom("audit_checkpoints").select("jws").orderBy("seq", "desc").limit(1).execute();
    const forger = { privateKey: generateKeyPairSync("ed25519").privateKey, alg: "EdDSA" as const, kid: t.app.context.accessTokens.jwks().keys[0]!.kid! };
    const digest = (await import("node:crypto")).createHash("sha256").update(lastCheckpoint!.jws).digest("base64url");
    const forged = await signCheckpoint(forger, { iss: "forger", iat: 0, prev: digest, heads: [] });
    await t.db.insertInto("audit_checkpoints").values({ jws: forged, created_at: new Date() }).execute();

    expect(await verify(officerToken)).toMatchObject({ valid: false, problem: AuditChainProblem.CHECKPOINT_INVALID });
  });
});
