import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, GOOD_PASSWORD, profileClient, registerUser, uniqueEmail } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";
import { refusal } from "../support/violations.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

/** Names that must never be stored: each acts on a screen, a terminal or an export instead of showing. */
const REFUSED: Array<[string, string]> = [
  ["a NUL character", "Bob\u0000 Smith"],
  ["a line feed", "Bob\nSmith"],
  ["a carriage return and line feed", "Bob Smith\r\nRole: admin"],
  ["a terminal escape sequence", "Bob \u001b[31mSmith\u001b[0m"],
  ["a C1 control (CSI)", "Bob\u009b31mSmith"],
  ["a tab", "Bob\tSmith"],
  ["a right-to-left override", "Bob \u202ehtimS"],
  ["a left-to-right embedding", "\u202aBob Smith"],
  ["a first-strong isolate and its pop", "\u2068Bob\u2069 Smith"],
  ["a right-to-left mark", "Bob\u200f Smith"],
  ["a left-to-right mark", "Bob\u200e Smith"],
  ["an Arabic letter mark", "Bob\u061c Smith"],
  ["a zero-width space inside", "Bob\u200bSmith"],
  ["a byte-order mark inside", "Bob\ufeffSmith"],
  ["a word joiner", "Bob\u2060Smith"],
  ["a soft hyphen", "Bob Smi\u00adth"],
  ["a line separator", "Bob\u2028Smith"],
  ["a paragraph separator", "Bob\u2029Smith"],
  ["a zero-width joiner at the start", "\u200dBob Smith"],
  ["a zero-width non-joiner at the end", "Bob Smith\u200c"],
  ["two zero-width joiners in a row", "Bo\u200d\u200db Smith"],
  ["only zero-width characters", "\u200b\u200c\u200d\ufeff\u2060"],
  ["only a zero-width space", "\u200b"],
  ["only a zero-width joiner", "\u200d"],
  ["only a Hangul filler", "\u3164"],
  ["only blank braille patterns", "\u2800\u2800"],
  ["only combining marks", "\u0301\u0308"],
];

/** Real names in many scripts, each already in NFC. */
const ACCEPTED: Array<[string, string]> = [
  ["Latin letters with diacritics", "Zoë Ångström"],
  ["Icelandic", "Ólafur Ragnar Grímsson"],
  ["Vietnamese", "Nguyễn Thị Minh Khai"],
  ["Chinese", "李小龍"],
  ["Japanese", "山田 花子"],
  ["Korean", "김민준"],
  ["Arabic", "محمد بن راشد آل مكتوم"],
  ["Hebrew", "דוד בן־גוריון"],
  ["Greek", "Ελευθέριος Βενιζέλος"],
  ["Cyrillic", "Фёдор Достоевский"],
  ["Devanagari", "श्रीनिवास रामानुजन्"],
  ["Persian with a zero-width non-joiner inside a word", "علی\u200cرضا محمدی"],
  ["Malayalam with a zero-width joiner inside a word", "മല\u200dയാളം"],
  ["an apostrophe and a hyphen", "Seán O'Brien-Smith"],
  ["an ideographic space", "山田\u3000花子"],
];

describeWithServices("human-readable names", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "100000" } });
  });
  afterAll(() => t?.close());

  const register = (fullName: string, email = uniqueEmail()) => authClient(t).register({ email, password: GOOD_PASSWORD, fullName });
  const storedName = async (userId: string) =>
    (await t.db.selectFrom("users").select("full_name").where("id", "=", userId).executeTakeFirstOrThrow()).full_name;

  describe("refused", () => {
    it.each(REFUSED)("Register answers INVALID_ARGUMENT naming full_name when it holds %s", async (_, fullName) => {
      const email = uniqueEmail();

      const { code, violations } = await refusal(register(fullName, email));

      expect(code).toBe(Code.InvalidArgument);
      expect(violations).toContainEqual({ field: "full_name", ruleId: expect.stringMatching(/^string\.human_name\./) });
      expect(violations.every((v) => v.field === "full_name")).toBe(true);
      expect(await t.db.selectFrom("users").select("id").where("email", "=", email).execute()).toEqual([]);
    });

    it.each(REFUSED)("UpdateProfile answers INVALID_ARGUMENT naming full_name when it holds %s", async (_, fullName) => {
      const user = await registerUser(t, { fullName: "Kept Name" });
      const client = profileClient(t, user.accessToken);

      const { code, violations } = await refusal(client.updateProfile({ fullName }));

      expect(code).toBe(Code.InvalidArgument);
      expect(violations).toContainEqual({ field: "full_name", ruleId: expect.stringMatching(/^string\.human_name\./) });
      expect(violations.every((v) => v.field === "full_name")).toBe(true);
      expect((await client.getProfile({})).fullName).toBe("Kept Name");
    });

    it("Register answers INVALID_ARGUMENT naming device.device_name when the device name holds an escape sequence", async () => {
      const request = { email: uniqueEmail(), password: GOOD_PASSWORD, fullName: "Ann Smith", device: { deviceName: "Ann's phone\u001b]0;owned\u0007" } };

      const { code, violations } = await refusal(authClient(t).register(request));

      expect(code).toBe(Code.InvalidArgument);
      expect(violations).toEqual([{ field: "device.device_name", ruleId: "string.human_name.characters" }]);
    });

    it("Login answers INVALID_ARGUMENT naming device.device_name when the device name is only zero-width characters", async () => {
      const user = await registerUser(t);

      const { code, violations } = await refusal(authClient(t).login({ email: user.email, password: user.password, device: { deviceName: "\u200b\u200b" } }));

      expect(code).toBe(Code.InvalidArgument);
      expect(violations).toContainEqual({ field: "device.device_name", ruleId: "string.human_name.visible" });
    });

    // NFC can lengthen a name: U+0958 (DEVANAGARI LETTER QA) becomes U+0915 U+093C. 200 of them pass
    // the API's 200-character limit as sent but are 400 characters as stored.
    it("refuses with INVALID_ARGUMENT a name that is within 200 characters as sent but not in NFC", async () => {
      const qa = "\u0958";
      expect(qa.normalize("NFC")).toHaveLength(2);
      const user = await registerUser(t, { fullName: "Kept Name" });

      await expect(register(qa.repeat(200))).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(profileClient(t, user.accessToken).updateProfile({ fullName: qa.repeat(200) })).rejects.toMatchObject({ code: Code.InvalidArgument });

      // Exactly 200 once normalised is fine.
      const res = await register(qa.repeat(100));
      expect(await storedName(res.userId)).toBe(qa.repeat(100).normalize("NFC"));
      expect([...(await storedName(res.userId))]).toHaveLength(200);
    });
  });

  describe("accepted", () => {
    it.each(ACCEPTED)("Register and UpdateProfile accept %s", async (_, fullName) => {
      expect(fullName.normalize("NFC")).toBe(fullName);

      const res = await register(fullName);
      const client = profileClient(t, res.accessToken);
      expect((await client.getProfile({})).fullName).toBe(fullName);

      await client.updateProfile({ fullName: "Someone Else" });
      await expect(client.updateProfile({ fullName })).resolves.toMatchObject({ fullName });
    });

    it("accepts a device name with emoji and an empty one", async () => {
      const family = "👩\u200d👩\u200d👧 family iPad";
      const withName = await authClient(t).register({ email: uniqueEmail(), password: GOOD_PASSWORD, fullName: "Ann Smith", device: { deviceName: family } });
      const withoutName = await authClient(t).register({ email: uniqueEmail(), password: GOOD_PASSWORD, fullName: "Ann Smith", device: { deviceName: "" } });

      const sessions = await t.db.selectFrom("sessions").select(["id", "device_name"]).where("id", "in", [withName.sessionId, withoutName.sessionId]).execute();
      expect(Object.fromEntries(sessions.map((s) => [s.id, s.device_name]))).toEqual({ [withName.sessionId]: family, [withoutName.sessionId]: null });
    });
  });

  describe("normalised to NFC", () => {
    const nfc = "Zoë Ångström";
    const nfd = nfc.normalize("NFD");

    it("stores a name sent in NFD in NFC, trimmed, on Register", async () => {
      expect(nfd).not.toBe(nfc);

      const res = await register(`  ${nfd} `);

      expect(await storedName(res.userId)).toBe(nfc);
      expect((await profileClient(t, res.accessToken).getProfile({})).fullName).toBe(nfc);
      const audit = await t.db
        .selectFrom("audit_trail")
        .select("new_values")
        .where("action", "=", "user.register")
        .where("resource_id", "=", res.userId)
        .executeTakeFirstOrThrow();
      expect(audit.new_values).toMatchObject({ fullName: nfc });
    });

    it("stores a name sent in NFD in NFC on UpdateProfile, and the NFC form of the same name is no change", async () => {
      const user = await registerUser(t, { fullName: "Before Rename" });
      const client = profileClient(t, user.accessToken);

      await expect(client.updateProfile({ fullName: nfd })).resolves.toMatchObject({ fullName: nfc });
      expect((await client.getProfile({})).fullName).toBe(nfc);
      expect(await storedName(user.userId)).toBe(nfc);

      await client.updateProfile({ fullName: nfc });
      const updates = await t.db.selectFrom("audit_trail").select("new_values").where("action", "=", "profile.update").where("resource_id", "=", user.userId).execute();
      expect(updates.map((u) => u.new_values)).toEqual([{ fullName: nfc }]);
    });

    it("stores a device name sent in NFD in NFC", async () => {
      const deviceName = "Zoë's iPhone";
      const res = await authClient(t).register({ email: uniqueEmail(), password: GOOD_PASSWORD, fullName: "Zoë Smith", device: { deviceName: deviceName.normalize("NFD") } });

      const session = await t.db.selectFrom("sessions").select("device_name").where("id", "=", res.sessionId).executeTakeFirstOrThrow();
      expect(session.device_name).toBe(deviceName);
    });
  });
});
