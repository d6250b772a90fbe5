import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("when a backing service is down", () => {
  describe("Postgres", () => {
    let t: TestApp;
    let user: RegisteredUser;
    beforeAll(async () => {
      t = await startTestApp();
      user = await registerUser(t);
      await t.database!.drop(); // terminates the pool's connections; new ones find no database
    });
    afterAll(() => t?.close());

    it("answers UNAVAILABLE, never INTERNAL, and says nothing of the database", async () => {
      const failure = await authClient(t)
        .login({ email: user.email, password: user.password })
        .catch((error: unknown) => error as { code: Code; rawMessage: string });
      expect(failure).toMatchObject({ code: Code.Unavailable });
      expect((failure as { rawMessage: string }).rawMessage).not.toMatch(/database|postgres|select|user_service/i);
    });
  });

  describe("Redis", () => {
    let t: TestApp;
    let user: RegisteredUser;
    beforeAll(async () => {
      t = await startTestApp();
      user = await registerUser(t);
      t.redis!.disconnect(); // the app's own client: every command now fails at once
    });
    afterAll(() => t?.close());

    it("still serves profiles, reading through the cache to the database", async () => {
      await expect(profileClient(t, user.accessToken).getProfile({})).resolves.toMatchObject({ userId: user.userId });
    });

    it("still signs users in, counting failures in process memory meanwhile", async () => {
      const login = await authClient(t).login({ email: user.email, password: user.password });
      expect(login.result.case).toBe("tokens");
      await expect(authClient(t).login({ email: user.email, password: "not-the-password" })).rejects.toMatchObject({ code: Code.Unauthenticated });
    });

    it("still signs users out: the revocation is committed, and refused at once on this replica", async () => {
      const login = await authClient(t).login({ email: user.email, password: user.password });
      const token = login.result.case === "tokens" ? login.result.value.accessToken : "";
      await expect(authClient(t, token).logout({})).resolves.toBeDefined();
      await expect(profileClient(t, token).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    });

    it("reports not ready on /readyz", async () => {
      expect((await fetch(`${t.baseUrl}/readyz`)).status).toBe(503);
    });
  });
});
