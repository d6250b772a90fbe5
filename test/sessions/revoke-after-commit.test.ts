import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { transaction } from "../../src/db/transaction.js";
import { RedisRevocationBus } from "../../src/platform/revocation-bus.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { profileClient, registerUser } from "../support/factories.js";
import { refusedWithin } from "../support/refusal.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

// Sessions.revoke announces a revocation to every replica only once the transaction that made it commits.
describeWithServices("Sessions.revoke inside a transaction", () => {
  let a: TestApp;
  let b: TestApp;
  let listener: RedisRevocationBus;
  const announced: string[] = [];
  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ replicaOf: a });
    listener = new RedisRevocationBus(a.redis!, a.namespace);
    await listener.subscribe({ sessionRevoked: (sessionId) => announced.push(sessionId), userChanged: () => undefined, reliabilityChanged: () => undefined });
  });
  afterAll(async () => {
    await listener?.close();
    await b?.close();
    await a?.close();
  });

  /** A user whose session replica b has checked and holds as good in its cache. */
  async function userKnownToReplicaB() {
    const user = await registerUser(a);
    await expect(profileClient(b, user.accessToken).getProfile({})).resolves.toMatchObject({ userId: user.userId });
    return user;
  }
  const revokedAt = (sessionId: string) => a.db.selectFrom("sessions").select("revoked_at").where("id", "=", sessionId).executeTakeFirstOrThrow();

  it("announces nothing when the transaction rolls back: the session stays good everywhere", async () => {
    const user = await userKnownToReplicaB();
    const { sessions } = a.app.context;
    await expect(
      transaction(a.db, async (trx) => {
        expect(await sessions.revoke(trx, user.sessionId, "test")).toBe(true);
        throw new Error("the change this revocation belonged to failed");
      }),
    ).rejects.toThrow("the change this revocation belonged to failed");

    await sleep(300); // time for an announcement to arrive, had one been sent
    expect(announced).not.toContain(user.sessionId);
    expect((await revokedAt(user.sessionId)).revoked_at).toBeNull();
    await expect(profileClient(a, user.accessToken).getProfile({})).resolves.toMatchObject({ userId: user.userId });
    await expect(profileClient(b, user.accessToken).getProfile({})).resolves.toMatchObject({ userId: user.userId });
  });

  it("announces the revocation once the transaction commits: a replica that cached the session refuses it at once", async () => {
    const user = await userKnownToReplicaB();
    await transaction(a.db, (trx) => a.app.context.sessions.revoke(trx, user.sessionId, "test"));

    // Replica b cached the session as good for 5 s: only the announcement makes it look again.
    expect(await refusedWithin(b, user.accessToken)).toBe(true);
    expect(announced).toContain(user.sessionId);
  });
});
