import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { sql } from "kysely";
import { connectPostgres, type DatabaseHandle } from "../../src/db/create-database.js";
import { dropMonthlyPartitionsBefore, ensureMonthlyPartitions, monthStart, partitionName } from "../../src/db/partitions.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("monthly partitions", () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase();
    handle = connectPostgres(database.url, 4);
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  const partitions = async () =>
    (await sql<{ name: string }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent where p.relname = 'user_activities' order by 1`.execute(handle.db)).rows.map((r) => r.name);

  it("names a month's partition after the table and the month", () => {
    expect(partitionName("user_activities", monthStart(new Date("2027-03-14T10:00:00Z")))).toBe("user_activities_2027_03");
    expect(monthStart(new Date("2027-12-31T23:59:59Z"), 1).toISOString()).toBe("2028-01-01T00:00:00.000Z");
  });

  it("makes the missing months' partitions, once, whoever asks at the same time", async () => {
    const from = new Date("2031-11-20T00:00:00Z");

    await Promise.all([ensureMonthlyPartitions(handle.db, "user_activities", from, 2), ensureMonthlyPartitions(handle.db, "user_activities", from, 2)]);
    await ensureMonthlyPartitions(handle.db, "user_activities", from, 2);

    expect(await partitions()).toEqual(expect.arrayContaining(["user_activities_2031_11", "user_activities_2031_12", "user_activities_2032_01"]));
    await handle.db.insertInto("user_activities").values({ id: crypto.randomUUID(), activity_type: "api_call", method: "ProfileService/GetProfile", status_code: "OK", latency_ms: 1, created_at: new Date("2031-12-31T23:59:59Z") }).execute();
    const [row] = (await sql<{ name: string }>`select tableoid::regclass::text as name from user_activities where created_at = '2031-12-31T23:59:59Z'`.execute(handle.db)).rows;
    expect(row!.name).toBe("user_activities_2031_12");
  });

  it("drops the months wholly before the cutoff, rows and all, and keeps the month the cutoff falls in", async () => {
    await ensureMonthlyPartitions(handle.db, "user_activities", new Date("2020-01-01T00:00:00Z"), 2);
    const at = (iso: string) => ({ id: crypto.randomUUID(), activity_type: "api_call", method: "ProfileService/GetProfile", status_code: "OK", latency_ms: 1, created_at: new Date(iso) });
    await handle.db.insertInto("user_activities").values([at("2020-01-15T00:00:00Z"), at("2020-02-20T00:00:00Z"), at("2020-03-02T00:00:00Z")]).execute();

    const dropped = await dropMonthlyPartitionsBefore(handle.db, "user_activities", new Date("2020-03-01T00:00:00Z"));

    expect(dropped).toEqual(["user_activities_2020_01", "user_activities_2020_02"]);
    expect(await partitions()).toEqual(expect.arrayContaining(["user_activities_2020_03"]));
    expect(await partitions()).not.toEqual(expect.arrayContaining(["user_activities_2020_01"]));
    const left = await handle.db.selectFrom("user_activities").select("created_at").where("created_at", "<", new Date("2021-01-01T00:00:00Z")).execute();
    expect(left.map((row) => row.created_at.toISOString())).toEqual(["2020-03-02T00:00:00.000Z"]);
  });

  it("makes an audit partition refuse TRUNCATE as the trail does, which a partition would not inherit", async () => {
    await ensureMonthlyPartitions(handle.db, "audit_trail", new Date("2033-05-01T00:00:00Z"), 0);

    await expect(sql`truncate audit_trail_2033_05`.execute(handle.db)).rejects.toMatchObject({ code: "42501" });
    await expect(sql`truncate user_activities_2031_11`.execute(handle.db)).resolves.toBeDefined();
  });
});
