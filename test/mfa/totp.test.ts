import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { decodeJwt } from "jose";
import QRCode from "qrcode";
import { MfaType } from "../../gen/platform/user/v1/common_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { ManualClock, midStep } from "../support/clock.js";
import { authClient, profileClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { failure } from "../support/failure.js";
import { enrolTotp, mfaClient, startChallenge, totpCode } from "../support/mfa.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

/** challengeFor starts a sign-in from Ann's phone and returns its MFA challenge. */
const challengeFor = (t: TestApp, user: RegisteredUser) => startChallenge(t, user, { deviceId: "phone-1", deviceName: "Ann's phone" });

describeWithServices("TOTP", () => {
  // The service's time stands still in the middle of a time step, so which step a code belongs to never races the test.
  const clock = new ManualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ clock, env: { REGISTRATIONS_PER_IP_PER_HOUR: "100000", TOTP_ISSUER: "Acme Trading" } });
  });
  beforeEach(() => clock.set(midStep()));
  afterAll(() => t?.close());
  const enrol = (user: RegisteredUser) => enrolTotp(t, user, clock.now());
  const codeAt = (secret: string, offsetMs = 0) => totpCode(secret, new Date(clock.now().getTime() + offsetMs));

  describe("SetupMfa", () => {
    it("returns a fresh secret, its otpauth:// URI with issuer and account, and that URI as a QR code PNG", async () => {
      const user = await registerUser(t);
      const setup = await mfaClient(t, user.accessToken).setupMfa({ mfaType: MfaType.TOTP });
      expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits of base32
      const uri = new URL(setup.otpauthUri);
      expect(uri.protocol).toBe("otpauth:");
      expect(uri.host).toBe("totp");
      expect(decodeURIComponent(uri.pathname)).toBe(`/Acme Trading:${user.email}`);
      expect(uri.searchParams.get("secret")).toBe(setup.secret);
      expect(uri.searchParams.get("issuer")).toBe("Acme Trading");
      expect(Buffer.from(setup.qrCodePng.subarray(0, 8))).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      // The same encoder renders the URI to the same image: the PNG is the URI's QR code.
      expect(Buffer.from(setup.qrCodePng)).toEqual(await QRCode.toBuffer(setup.otpauthUri, { type: "png", errorCorrectionLevel: "M", width: 256 }));
    });

    it("gives every set-up its own secret, and a new set-up replaces a pending one", async () => {
      const user = await registerUser(t);
      const mfa = mfaClient(t, user.accessToken);
      const first = await mfa.setupMfa({ mfaType: MfaType.TOTP });
      const second = await mfa.setupMfa({ mfaType: MfaType.TOTP });
      expect(second.secret).not.toBe(first.secret);
      const { methods } = await mfa.listMfaMethods({});
      expect(methods.map((m) => [m.methodId, m.mfaType, m.active])).toEqual([[second.methodId, MfaType.TOTP, false]]);
      // The replaced secret no longer activates anything.
      await expect(mfa.verifyMfa({ mfaType: MfaType.TOTP, code: await codeAt(first.secret) })).resolves.toMatchObject({ verified: false });
    });

    it("refuses a second active TOTP method with ALREADY_EXISTS", async () => {
      const user = await registerUser(t);
      await enrol(user);
      await expect(mfaClient(t, user.accessToken).setupMfa({ mfaType: MfaType.TOTP })).rejects.toMatchObject({ code: Code.AlreadyExists });
    });

    it("leaves a pending method out of sign-in", async () => {
      const user = await registerUser(t);
      await mfaClient(t, user.accessToken).setupMfa({ mfaType: MfaType.TOTP });
      const res = await authClient(t).login({ email: user.email, password: user.password });
      expect(res.result.case).toBe("tokens");
    });
  });

  describe("VerifyMfa", () => {
    it("answers verified = false to a wrong code and leaves the method pending", async () => {
      const user = await registerUser(t);
      const mfa = mfaClient(t, user.accessToken);
      const setup = await mfa.setupMfa({ mfaType: MfaType.TOTP });
      const right = await codeAt(setup.secret);
      const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
      await expect(mfa.verifyMfa({ mfaType: MfaType.TOTP, code: wrong })).resolves.toMatchObject({ verified: false, backupCodes: [] });
      expect((await mfa.listMfaMethods({})).methods[0]?.active).toBe(false);
    });

    it("activates the method with a right code and returns ten backup codes of 80 bits, once", async () => {
      const user = await registerUser(t);
      const { backupCodes } = await enrol(user);
      expect(backupCodes).toHaveLength(10);
      expect(new Set(backupCodes).size).toBe(10);
      for (const code of backupCodes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/); // 16 × 5 bits
      const { methods } = await mfaClient(t, user.accessToken).listMfaMethods({});
      expect(methods.map((m) => [m.mfaType, m.active, m.remainingBackupCodes])).toEqual([
        [MfaType.TOTP, true, 0],
        [MfaType.BACKUP_CODE, true, 10],
      ]);
    });

    it("answers FAILED_PRECONDITION without a pending method of that type", async () => {
      const user = await registerUser(t);
      await expect(mfaClient(t, user.accessToken).verifyMfa({ mfaType: MfaType.TOTP, code: "123456" })).rejects.toMatchObject({ code: Code.FailedPrecondition });
      await enrol(user);
      await expect(mfaClient(t, user.accessToken).verifyMfa({ mfaType: MfaType.TOTP, code: "123456" })).rejects.toMatchObject({ code: Code.FailedPrecondition });
    });
  });

  describe("sign-in", () => {
    it("challenges a user with an active method and opens the session on a right code, with both factors in amr", async () => {
      const user = await registerUser(t);
      const { secret } = await enrol(user);
      const challenge = await challengeFor(t, user);
      expect(challenge.methods).toEqual([MfaType.TOTP, MfaType.BACKUP_CODE]);
      const { tokens } = await authClient(t).completeMfaChallenge({ challengeId: challenge.challengeId, code: await codeAt(secret), mfaType: MfaType.TOTP });
      expect(decodeJwt(tokens!.accessToken).amr).toEqual(["pwd", "otp"]);
      await expect(profileClient(t, tokens!.accessToken).getProfile({})).resolves.toMatchObject({ userId: user.userId });
      const session = await t.db.selectFrom("sessions").select(["device_id", "device_name", "amr"]).where("id", "=", tokens!.sessionId).executeTakeFirstOrThrow();
      expect(session).toEqual({ device_id: "phone-1", device_name: "Ann's phone", amr: ["pwd", "otp"] });
    });

    it("accepts a code from one step either side of now", async () => {
      clock.advance(-120_000); // enrolled two minutes ago: its code's step lies behind the ones tried now
      const user = await registerUser(t);
      const { secret } = await enrol(user);
      clock.advance(120_000);
      for (const offset of [-30_000, 30_000]) {
        const challenge = await challengeFor(t, user);
        const code = await codeAt(secret, offset);
        await expect(authClient(t).completeMfaChallenge({ challengeId: challenge.challengeId, code, mfaType: MfaType.TOTP })).resolves.toHaveProperty("tokens");
      }
    });

    it("refuses a code two steps old", async () => {
      clock.advance(-120_000); // enrolled two minutes ago: its code's step lies behind the ones tried now
      const user = await registerUser(t);
      const { secret } = await enrol(user);
      clock.advance(120_000);
      const challenge = await challengeFor(t, user);
      const code = await codeAt(secret, -60_000);
      await expect(authClient(t).completeMfaChallenge({ challengeId: challenge.challengeId, code, mfaType: MfaType.TOTP })).rejects.toMatchObject({
        code: Code.Unauthenticated,
      });
    });

    it("never accepts the same code twice", async () => {
      const user = await registerUser(t);
      const { secret } = await enrol(user);
      const code = await codeAt(secret);
      const [first, second] = [await challengeFor(t, user), await challengeFor(t, user)];
      await authClient(t).completeMfaChallenge({ challengeId: first.challengeId, code, mfaType: MfaType.TOTP });
      const replay = await failure(authClient(t).completeMfaChallenge({ challengeId: second.challengeId, code, mfaType: MfaType.TOTP }));
      expect(replay.code).toBe(Code.Unauthenticated);
    });

    it("answers a challenge once", async () => {
      const user = await registerUser(t);
      const { backupCodes } = await enrol(user);
      const challenge = await challengeFor(t, user);
      await authClient(t).completeMfaChallenge({ challengeId: challenge.challengeId, code: backupCodes[0]!, mfaType: MfaType.BACKUP_CODE });
      await expect(
        authClient(t).completeMfaChallenge({ challengeId: challenge.challengeId, code: backupCodes[1]!, mfaType: MfaType.BACKUP_CODE }),
      ).rejects.toMatchObject({ code: Code.Unauthenticated });
    });

    it("refuses an answer after the challenge's five minutes", async () => {
      const user = await registerUser(t);
      const { secret } = await enrol(user);
      const challenge = await challengeFor(t, user);
      clock.advance(5 * 60_000 + 1_000);
      const late = await failure(authClient(t).completeMfaChallenge({ challengeId: challenge.challengeId, code: await codeAt(secret), mfaType: MfaType.TOTP }));
      expect([late.code, late.metadata.get("x-error-reason")]).toEqual([Code.Unauthenticated, "mfa_challenge_invalid"]);
    });

    it("refuses a type the challenge did not offer with INVALID_ARGUMENT", async () => {
      const user = await registerUser(t);
      await enrol(user);
      const challenge = await challengeFor(t, user);
      await expect(authClient(t).completeMfaChallenge({ challengeId: challenge.challengeId, code: "123456", mfaType: MfaType.SMS })).rejects.toMatchObject({
        code: Code.InvalidArgument,
      });
    });

    it("refuses an unknown challenge as it refuses any other unusable one", async () => {
      const error = await failure(authClient(t).completeMfaChallenge({ challengeId: crypto.randomUUID(), code: "123456", mfaType: MfaType.TOTP }));
      expect(error.code).toBe(Code.Unauthenticated);
    });

    it("binds the challenge to the client that started it", async () => {
      const user = await registerUser(t);
      const { secret } = await enrol(user);
      const challenge = await challengeFor(t, user);
      const elsewhere = await import("@connectrpc/connect-node").then(({ createConnectTransport }) =>
        createConnectTransport({
          baseUrl: t.baseUrl,
          httpVersion: "2",
          interceptors: [(next) => (req) => (req.header.set("user-agent", "another-client/1.0"), next(req))],
        }),
      );
      const { createClient } = await import("@connectrpc/connect");
      const { AuthService } = await import("../../gen/platform/user/v1/auth_service_pb.js");
      const code = await codeAt(secret);
      await expect(createClient(AuthService, elsewhere).completeMfaChallenge({ challengeId: challenge.challengeId, code, mfaType: MfaType.TOTP })).rejects.toMatchObject({
        code: Code.Unauthenticated,
      });
      // The client that started it still can.
      await expect(authClient(t).completeMfaChallenge({ challengeId: challenge.challengeId, code, mfaType: MfaType.TOTP })).resolves.toHaveProperty("tokens");
    });
  });
});
