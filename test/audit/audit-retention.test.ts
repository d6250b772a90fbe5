import { afterEach, describe, expect, it } from "@jest/globals";
import { decodeJwt } from "jose";
import { sql } from "kysely";
import { recurringJobs } from "../../src/app.js";
import { transaction } from "../../src/db/transaction.js";
import type { CheckpointPayload } from "../../src/features/audit/audit-checkpoints.js";
import { checkExport } from "../../src/features/audit/index.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { auditPartitions, tamperWith } from "../support/audit.js";
import { ManualClock } from "../support/clock.js";
import { servicesAvailable } from "../support/services.js";

const withServices = await servicesAvailable();

const ORGANIZATION = "0b6f3a52-5a44-4c55-9a0c-6a2c1f0d4e11";

for (const embedded of [false, true]) {
  const suite = embedded || withServices ? describe : describe.skip;

  suite(`audit retention (${embedded ? "PGlite" : "Postgres"})`, () => {
    let t: TestApp;
    let clock: ManualClock;
    afterEach(() => t?.close());

    /** Records one event per actor at the clock's time: each actor's events share a lane. */
    async function record(actors: readonly string[], organizationId?: string): Promise<void> {
      for (const actor of actors) {
        await transaction(t.db, (trx) =>
          t.app.context.audit.record(trx, { actorUserId: null, action: "test.event", resourceType: "test", resourceId: actor, organizationId, origin: {} }),
        );
      }
    }

    /**
     * startupJobsRun waits until the recurring jobs queued at start have run (embedded mode runs
     * them in the app), so none runs later at a time the test has moved the clock to.
     */
    async function startupJobsRun(): Promise<void> {
      const recurring = recurringJobs(t.app.context.config).length;
      for (;;) {
        const scheduled = await t.db.selectFrom("job_schedules").select((eb) => eb.fn.countAll<string>().as("count")).executeTakeFirstOrThrow();
        const pending = await t.db.selectFrom("outbox").select((eb) => eb.fn.countAll<string>().as("count")).where("dispatched_at", "is", null).executeTakeFirstOrThrow();
        if (Number(scheduled.count) === recurring && Number(pending.count) === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    /**
     * A trail two years long: entries in January and February 2019 (signed by a checkpoint), then
     * more in March 2020 on the same lanes; the one-year retention then covers the 2019 months.
     */
    async function twoYearTrail(): Promise<void> {
      clock = new ManualClock(new Date("2019-01-10T12:00:00Z"));
      t = await startTestApp({ embedded, clock, env: { AUDIT_CHAIN_LANES: "2", AUDIT_RETENTION_DAYS: "365" } });
      if (embedded) await startupJobsRun();
      await record(["alice", "bob", "carol"]);
      await record(["org-event"], ORGANIZATION);
      clock.set(new Date("2019-02-15T12:00:00Z"));
      await record(["alice", "bob"]);
      await record(["org-event"], ORGANIZATION);
      await t.app.context.auditTrail.checkpoint();
      clock.set(new Date("2020-03-20T12:00:00Z"));
      await t.app.context.auditTrail.preparePartitions();
      await record(["alice", "carol"]);
      await t.app.context.auditTrail.checkpoint();
    }

    it("makes the coming months' partitions and drops the months wholly past AUDIT_RETENTION_DAYS", async () => {
      await twoYearTrail();
      expect(await auditPartitions(t.db)).toEqual(expect.arrayContaining(["audit_trail_2019_01", "audit_trail_2019_02", "audit_trail_2019_03", "audit_trail_2020_06"]));

      const dropped = await t.app.context.auditTrail.maintainPartitions();

      // The cutoff, 2019-03-21, falls in March 2019: that month stays.
      expect(dropped).toEqual(["audit_trail_2019_01", "audit_trail_2019_02"]);
      expect(await auditPartitions(t.db)).not.toEqual(expect.arrayContaining(["audit_trail_2019_01"]));
      expect(await auditPartitions(t.db)).toEqual(expect.arrayContaining(["audit_trail_2019_03"]));
      const left = await t.db.selectFrom("audit_trail").select("created_at").execute();
      expect(left.every((row) => row.created_at >= new Date("2019-03-01T00:00:00Z"))).toBe(true);
      expect(await t.app.context.auditTrail.maintainPartitions()).toEqual([]);
    });

    it("signs each lane's last dropped entry in the same step, and verifies the trail from there", async () => {
      await twoYearTrail();
      const lastDropped = await t.db
        .selectFrom("audit_trail")
        .select(["lane", "lane_seq", "hash"])
        .where("created_at", "<", new Date("2019-03-01T00:00:00Z"))
        .orderBy("lane")
        .orderBy("lane_seq", "desc")
        .execute();
      const lastOfLane = new Map<string, (typeof lastDropped)[number]>();
      for (const row of lastDropped) if (!lastOfLane.has(row.lane)) lastOfLane.set(row.lane, row);
      const expectedCut = [...lastOfLane.values()].map((row) => [row.lane, String(row.lane_seq), Buffer.from(row.hash).toString("hex")]);
      const kept = await t.db.selectFrom("audit_trail").select("lane").where("created_at", ">=", new Date("2019-03-01T00:00:00Z")).execute();

      await t.app.context.auditTrail.maintainPartitions();

      const [cutCheckpoint] = await t.db.selectFrom("audit_checkpoints").select("jws").orderBy("seq", "desc").limit(1).execute();
      const payload = decodeJwt(cutCheckpoint!.jws) as unknown as CheckpointPayload;
      expect(payload.heads).toEqual([]);
      expect(payload.cut).toEqual(expect.arrayContaining(expectedCut));
      expect(payload.cut).toHaveLength(expectedCut.length);
      // The organization's lane lost every entry and has none after the cut; it is still whole.
      const lanes = new Set(kept.map((row) => row.lane)).size;
      expect(await t.app.context.auditTrail.verify()).toEqual({ valid: true, checked: kept.length, lanes, checkpoints: 3 });

      await record(["bob"], ORGANIZATION);
      expect(await t.app.context.auditTrail.verify()).toMatchObject({ valid: true, checked: kept.length + 1, lanes: lanes + 1 });
    });

    it("exports the months kept, each lane proven to start where the signed cut left it", async () => {
      await twoYearTrail();
      await t.app.context.auditTrail.maintainPartitions();
      clock.set(new Date("2020-03-25T00:00:00Z"));
      const lines: string[] = [];
      const request = { createdAfter: new Date("2019-03-01T00:00:00Z"), createdBefore: new Date("2020-03-21T00:00:00Z"), reason: "retention check" };
      for await (const batch of t.app.context.auditExports.export({ userId: null, origin: {} }, request)) lines.push(...batch);

      const report = await checkExport(
        (async function* () {
          yield* lines;
        })(),
        t.app.context.accessTokens.jwks(),
      );

      const kept = await t.db.selectFrom("audit_trail").select("id").where("created_at", ">=", request.createdAfter).where("created_at", "<", request.createdBefore).execute();
      expect(report).toMatchObject({ valid: true, complete: true, entries: kept.length });
    });

    it("detects old months dropped without the signed cut", async () => {
      await twoYearTrail();
      const [firstKept] = await t.db.selectFrom("audit_trail").select(["id", "lane"]).where("created_at", ">=", new Date("2019-03-01T00:00:00Z")).orderBy("lane").orderBy("lane_seq").limit(1).execute();

      await tamperWith(t.db, sql`drop table audit_trail_2019_01, audit_trail_2019_02`);

      const report = await t.app.context.auditTrail.verify();
      expect(report.break).toMatchObject({ problem: "entries_missing", lane: firstKept!.lane, entryId: firstKept!.id });
    });

    it("detects the first entry after the cut deleted", async () => {
      await twoYearTrail();
      await t.app.context.auditTrail.maintainPartitions();
      const [first, second] = await t.db.selectFrom("audit_trail").select(["id", "lane"]).orderBy("lane").orderBy("lane_seq").limit(2).execute();
      expect(first!.lane).toBe(second!.lane);

      await tamperWith(t.db, sql`delete from audit_trail where id = ${first!.id}`);

      expect((await t.app.context.auditTrail.verify()).break).toMatchObject({ problem: "entries_missing", lane: first!.lane, entryId: second!.id });
    });

    it("keeps entries dated past the months made in the default partition, which then holds their month", async () => {
      clock = new ManualClock(new Date());
      t = await startTestApp({ embedded, clock, env: { AUDIT_CHAIN_LANES: "2" } });
      if (embedded) await startupJobsRun();
      clock.set(new Date("2031-06-15T12:00:00Z"));
      await record(["late"]);
      const where = async () =>
        (await sql<{ name: string }>`select tableoid::regclass::text as name from audit_trail where resource_id = 'late'`.execute(t.db)).rows.map((row) => row.name);
      expect(await where()).toEqual(["audit_trail_default"]);

      await t.app.context.auditTrail.preparePartitions();

      expect(await auditPartitions(t.db)).not.toContain("audit_trail_2031_06");
      expect(await auditPartitions(t.db)).toContain("audit_trail_2031_07");
      expect(await where()).toEqual(["audit_trail_default"]);
      expect(await t.app.context.auditTrail.verify()).toMatchObject({ valid: true });
    });

    it("keeps the retention at one year at least", async () => {
      clock = new ManualClock(new Date());
      await expect(startTestApp({ embedded, clock, env: { AUDIT_RETENTION_DAYS: "30" } })).rejects.toThrow(/AUDIT_RETENTION_DAYS/);
      t = await startTestApp({ embedded, clock });
      expect(t.app.context.config.audit.retentionDays).toBe(7 * 365 + 2);
    });
  });
}
