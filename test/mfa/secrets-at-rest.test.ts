import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { MfaType } from "../../gen/platform/user/v1/common_pb.js";
import { dataKey } from "../../src/platform/crypto/field-cipher.js";
import { startTestApp, TEST_DATA_KEY, type TestApp } from "../support/app.js";
import { keyFile, logLines, runCli, useCliWorkspace } from "../support/cli.js";
import { dumpDatabase } from "../support/database.js";
import { authClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { enrolTotp, startChallenge, totpCode, type EnrolledTotp } from "../support/mfa.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("MFA secrets at rest", () => {
  useCliWorkspace();
  let t: TestApp;
  let user: RegisteredUser;
  let enrolled: EnrolledTotp;
  beforeAll(async () => {
    t = await startTestApp();
    user = await registerUser(t);
    enrolled = await enrolTotp(t, user);
  });
  afterAll(() => t?.close());

  it("keeps no TOTP secret and no backup code in clear anywhere in the database", async () => {
    const dump = await dumpDatabase(t.db);
    expect(dump).toContain(user.userId); // the dump reads the user's rows
    expect(dump).not.toContain(enrolled.secret);
    for (const code of enrolled.backupCodes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(code.replace(/-/g, ""));
    }
  });

  it("re-seals every value under a new key with rotate-keys, after which the old key is not needed", async () => {
    const newKey = randomBytes(32);
    const env = {
      DATABASE_URL: t.database!.url,
      JWT_PRIVATE_KEY_FILE: keyFile,
      DATA_ENCRYPTION_KEY: newKey.toString("base64"),
      DATA_ENCRYPTION_PREVIOUS_KEYS: TEST_DATA_KEY.toString("base64"),
    };
    const rotation = await runCli(["rotate-keys"], env);
    expect(rotation.code).toBe(0);
    expect(logLines(rotation.stdout).find((line) => "resealed" in line)).toMatchObject({ resealed: 1, keyId: dataKey(newKey).id });
    const sealed = await t.db.selectFrom("mfa_methods").select("secret_sealed").execute();
    expect(sealed.length).toBeGreaterThan(0);
    for (const { secret_sealed } of sealed) expect(secret_sealed).toMatch(new RegExp(`^v1\\.${dataKey(newKey).id}\\.`));

    // A replica holding only the new key signs the user in with their authenticator.
    const replica = await startTestApp({ replicaOf: t, dataKey: newKey });
    try {
      const { challengeId } = await startChallenge(replica, user);
      const code = await totpCode(enrolled.secret, new Date(Date.now() + 30_000)); // a step after the enrolment's
      const completed = await authClient(replica).completeMfaChallenge({ challengeId, code, mfaType: MfaType.TOTP });
      expect(completed.tokens?.userId).toBe(user.userId);
    } finally {
      await replica.close();
    }

    const again = await runCli(["rotate-keys"], env);
    expect(logLines(again.stdout).find((line) => "resealed" in line)).toMatchObject({ resealed: 0 });
  });

  it("names DATA_ENCRYPTION_KEY when DATABASE_URL is set without it", async () => {
    const result = await runCli(["serve"], { DATABASE_URL: t.database!.url, JWT_PRIVATE_KEY_FILE: keyFile, PORT: "0" });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe("configuration error: DATA_ENCRYPTION_KEY: is required when DATABASE_URL is set");
  });
});
