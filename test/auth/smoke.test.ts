import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("AuthService (smoke)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it("registers, signs in and reads the profile", async () => {
    const user = await registerUser(t);
    const login = await authClient(t).login({ email: user.email.toUpperCase(), password: user.password });
    expect(login.result.case).toBe("tokens");
    const token = login.result.case === "tokens" ? login.result.value.accessToken : "";
    const profile = await profileClient(t, token).getProfile({});
    expect(profile.email).toBe(user.email);
    await expect(profileClient(t).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
  });
});
