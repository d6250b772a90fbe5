import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { decodeJwt } from "jose";
import { MfaType } from "../../gen/platform/user/v1/common_pb.js";
import type { SmsSender } from "../../src/platform/sms.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { ManualClock } from "../support/clock.js";
import { dumpDatabase } from "../support/database.js";
import { authClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { failure } from "../support/failure.js";
import { enrolTotp, mfaClient, startChallenge } from "../support/mfa.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const PHONE = "+14155552671";

/** Texts is an SMS sender that keeps what it was asked to send, for the test to read. */
class Texts implements SmsSender {
  readonly sent: Array<{ to: string; text: string }> = [];

  async send(to: string, text: string): Promise<void> {
    this.sent.push({ to, text });
  }

  /** lastCodeTo is the six-digit code of the last text to the number. */
  lastCodeTo(to: string): string {
    const text = this.sent.filter((message) => message.to === to).at(-1)?.text;
    const code = text?.match(/\b\d{6}\b/)?.[0];
    if (!code) throw new Error(`no code was texted to ${to}`);
    return code;
  }
}

describeWithServices("SMS second factor", () => {
  const texts = new Texts();
  const clock = new ManualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      clock,
      services: { smsSender: texts },
      env: { REGISTRATIONS_PER_IP_PER_HOUR: "100000", SMS_SENDS_PER_USER_PER_HOUR: "3", SMS_SENDS_PER_PHONE_PER_HOUR: "4", TOTP_ISSUER: "Acme Trading" },
    });
  });
  beforeEach(() => clock.set(new Date()));
  afterAll(() => t?.close());

  /** enrolSms sets up and activates SMS for the user with the given (distinct per test, for the per-phone budget) number. */
  async function enrolSms(user: RegisteredUser, phoneNumber: string) {
    const mfa = mfaClient(t, user.accessToken);
    const setup = await mfa.setupMfa({ mfaType: MfaType.SMS, phoneNumber });
    const verified = await mfa.verifyMfa({ mfaType: MfaType.SMS, code: texts.lastCodeTo(phoneNumber) });
    return { setup, verified };
  }

  describe("SetupMfa", () => {
    it("refuses a number that cannot exist with INVALID_ARGUMENT naming phone_number, and a malformed one", async () => {
      const user = await registerUser(t);
      for (const phoneNumber of ["+15551234567", "+12345", "415-555-2671"]) {
        const error = await failure(mfaClient(t, user.accessToken).setupMfa({ mfaType: MfaType.SMS, phoneNumber }));
        expect(error.code).toBe(Code.InvalidArgument);
        expect(error.rawMessage).toContain("phone_number");
      }
      expect(texts.sent.filter((m) => m.to.startsWith("+1555") || m.to === "+12345")).toEqual([]);
    });

    it("texts a six-digit code from the issuer and answers with the number masked", async () => {
      const user = await registerUser(t);
      const setup = await mfaClient(t, user.accessToken).setupMfa({ mfaType: MfaType.SMS, phoneNumber: PHONE });
      expect(setup.maskedPhone).toBe("+1******2671");
      expect(setup.secret).toBe("");
      expect(texts.sent.at(-1)).toEqual({ to: PHONE, text: expect.stringMatching(/^\d{6} is your Acme Trading verification code\. It expires in 5 minutes\./) });
    });
  });

  describe("VerifyMfa", () => {
    it("activates the phone with the texted code and returns the first backup codes", async () => {
      const user = await registerUser(t);
      const { setup, verified } = await enrolSms(user, "+447911123456");
      expect(verified).toMatchObject({ verified: true });
      expect(verified.backupCodes).toHaveLength(10);
      const { methods } = await mfaClient(t, user.accessToken).listMfaMethods({});
      expect(methods[0]).toMatchObject({ methodId: setup.methodId, mfaType: MfaType.SMS, active: true, maskedPhone: "+44******3456" });
    });

    it("refuses a code after five minutes", async () => {
      const user = await registerUser(t);
      const mfa = mfaClient(t, user.accessToken);
      await mfa.setupMfa({ mfaType: MfaType.SMS, phoneNumber: "+491701234567" });
      clock.advance(5 * 60_000 + 1_000);
      await expect(mfa.verifyMfa({ mfaType: MfaType.SMS, code: texts.lastCodeTo("+491701234567") })).resolves.toMatchObject({ verified: false });
    });
  });

  describe("sign-in", () => {
    it("offers every active method, oldest first, then backup codes, and texts the SMS method", async () => {
      const user = await registerUser(t);
      await enrolTotp(t, user, clock.now());
      const phone = "+34612345678";
      await enrolSms(user, phone);
      const textsBefore = texts.sent.length;
      const challenge = await startChallenge(t, user);
      expect(challenge.methods).toEqual([MfaType.TOTP, MfaType.SMS, MfaType.BACKUP_CODE]);
      expect(texts.sent.slice(textsBefore).map((message) => message.to)).toEqual([phone]);
    });

    it("texts a code for the challenge and opens the session with pwd and sms in amr; the code works once", async () => {
      const user = await registerUser(t);
      const phone = "+33612345678";
      await enrolSms(user, phone);
      const challenge = await startChallenge(t, user);
      expect(challenge.methods).toEqual([MfaType.SMS, MfaType.BACKUP_CODE]);
      const code = texts.lastCodeTo(phone);
      const { tokens } = await authClient(t).completeMfaChallenge({ challengeId: challenge.challengeId, code, mfaType: MfaType.SMS });
      expect(decodeJwt(tokens!.accessToken).amr).toEqual(["pwd", "sms"]);

      const again = await startChallenge(t, user);
      // The first challenge's code is not the second one's.
      await expect(authClient(t).completeMfaChallenge({ challengeId: again.challengeId, code, mfaType: MfaType.SMS })).rejects.toMatchObject({
        code: Code.Unauthenticated,
      });
    });
  });

  describe("sending limits", () => {
    it("sends a user at most SMS_SENDS_PER_USER_PER_HOUR texts", async () => {
      const user = await registerUser(t);
      const mfa = mfaClient(t, user.accessToken);
      for (const phoneNumber of ["+14155550101", "+14155550102", "+14155550103"]) await mfa.setupMfa({ mfaType: MfaType.SMS, phoneNumber });
      const refused = await failure(mfa.setupMfa({ mfaType: MfaType.SMS, phoneNumber: "+14155550104" }));
      expect([refused.code, refused.metadata.get("x-error-reason")]).toEqual([Code.ResourceExhausted, "sms_rate"]);
      expect(texts.sent.some((m) => m.to === "+14155550104")).toBe(false);
    });

    it("sends one number at most SMS_SENDS_PER_PHONE_PER_HOUR texts, whoever asks", async () => {
      const phoneNumber = "+14155550199";
      const users = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
      for (const user of users.slice(0, 2)) {
        await mfaClient(t, user.accessToken).setupMfa({ mfaType: MfaType.SMS, phoneNumber });
        await mfaClient(t, user.accessToken).setupMfa({ mfaType: MfaType.SMS, phoneNumber });
      }
      await expect(mfaClient(t, users[2]!.accessToken).setupMfa({ mfaType: MfaType.SMS, phoneNumber })).rejects.toMatchObject({ code: Code.ResourceExhausted });
    });
  });

  it("keeps no phone number and no code in clear in the database", async () => {
    const user = await registerUser(t);
    const phone = "+61412345678";
    await enrolSms(user, phone);
    const dump = await dumpDatabase(t.db);
    expect(dump).toContain(user.userId);
    expect(dump).not.toContain("412345678");
    expect(dump).not.toContain(texts.lastCodeTo(phone));
  });
});
