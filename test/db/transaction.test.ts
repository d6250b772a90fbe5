import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { sql } from "kysely";
import { connectPostgres, type DatabaseHandle } from "../../src/db/create-database.js";
import { afterCommit, transaction } from "../../src/db/transaction.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("transaction() and afterCommit()", () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = connectPostgres(database.url, 4);
    // A deferred constraint is checked at COMMIT: the way to make a commit itself fail.
    await sql`create table marks (id text primary key, label text not null, constraint marks_label_unique unique (label) deferrable initially deferred)`.execute(handle.db);
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  /** committed reads a mark on another connection than the transaction's: what the effect may rely on. */
  const committed = async (id: string) => (await sql<{ id: string }>`select id from marks where id = ${id}`.execute(handle.db)).rows.length === 1;
  const insertMark = (trx: Parameters<Parameters<typeof transaction>[1]>[0], id: string, label = id) => sql`insert into marks (id, label) values (${id}, ${label})`.execute(trx);

  it("runs the effects after the commit, when the change is visible to everyone", async () => {
    const id = randomUUID();
    const seen: boolean[] = [];
    const result = await transaction(handle.db, async (trx) => {
      await insertMark(trx, id);
      afterCommit(trx, async () => {
        seen.push(await committed(id));
      });
      return "done";
    });
    expect(result).toBe("done");
    expect(seen).toEqual([true]);
  });

  it("never runs the effects when the work throws and the transaction rolls back", async () => {
    const id = randomUUID();
    let ran = false;
    const failure = new Error("work failed");
    await expect(
      transaction(handle.db, async (trx) => {
        await insertMark(trx, id);
        afterCommit(trx, async () => {
          ran = true;
        });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(ran).toBe(false);
    expect(await committed(id)).toBe(false);
  });

  it("never runs the effects when the commit itself fails", async () => {
    const label = randomUUID();
    let ran = false;
    await expect(
      transaction(handle.db, async (trx) => {
        await insertMark(trx, randomUUID(), label);
        await insertMark(trx, randomUUID(), label);
        afterCommit(trx, async () => {
          ran = true;
        });
      }),
    ).rejects.toMatchObject({ code: "23505" });
    expect(ran).toBe(false);
  });

  it("runs every effect in the order registered, and throws the first failure after the commit", async () => {
    const id = randomUUID();
    const order: string[] = [];
    const first = new Error("cache unreachable");
    await expect(
      transaction(handle.db, async (trx) => {
        await insertMark(trx, id);
        afterCommit(trx, async () => {
          order.push("evict");
          throw first;
        });
        afterCommit(trx, async () => {
          order.push("announce");
          throw new Error("second failure");
        });
        afterCommit(trx, async () => {
          order.push("wake");
        });
      }),
    ).rejects.toBe(first);
    expect(order).toEqual(["evict", "announce", "wake"]);
    expect(await committed(id)).toBe(true);
  });

  it("refuses an effect on a transaction not opened by transaction(), rather than drop it", async () => {
    await expect(
      handle.db.transaction().execute(async (trx) => {
        afterCommit(trx, async () => undefined);
      }),
    ).rejects.toThrow("afterCommit needs a transaction opened with transaction()");
  });
});
