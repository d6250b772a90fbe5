import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "@jest/globals";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator, sql } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import { migrations } from "../../migrations/index.js";
import { loadConfig } from "../../src/config.js";
import { buildAppContext } from "../../src/context.js";
import { DEFAULT_ONBOARDING_STEPS, OnboardingSteps, type StepDefinition } from "../../src/features/onboarding/index.js";
import { TEST_DATA_KEY, testSigningKey } from "../support/app.js";

const step = (overrides: object): StepDefinition => ({ id: "terms", title: "Terms", required: true, schema: { type: "object" }, ...overrides }) as StepDefinition;

describe("OnboardingSteps", () => {
  it("accepts the built-in steps", () => {
    expect(new OnboardingSteps(DEFAULT_ONBOARDING_STEPS).steps.map((s) => s.definition.id)).toEqual(["verify_email", "mfa_setup", "risk_questionnaire", "accept_terms"]);
  });

  it.each([
    ["no step at all", [], "lists no step"],
    ["an id the API cannot name", [step({ id: "Terms-1" })], "id must match"],
    ["two steps with one id", [step({}), step({ title: "Again" })], "two steps with one id"],
    ["an empty title", [step({ title: " " })], "title"],
    ["required left out", [step({ required: undefined })], "required"],
    ["both an event and a schema", [step({ completesOn: "mfa_enabled" })], "either completesOn or schema"],
    ["neither an event nor a schema", [step({ schema: undefined })], "either completesOn or schema"],
    ["an event nothing reports", [step({ schema: undefined, completesOn: "kyc_passed" })], "completesOn must be one of"],
    ["a schema for something but an object", [step({ schema: { type: "string" } })], 'type is "object"'],
    ["a misspelt schema keyword", [step({ schema: { type: "object", propertes: {} } })], "unknown keyword"],
  ])("refuses %s", (_, definitions, problem) => {
    expect(() => new OnboardingSteps(definitions)).toThrow(problem);
  });

  it("checks the formats a schema names, such as a date", () => {
    const steps = new OnboardingSteps([step({ schema: { type: "object", properties: { born: { type: "string", format: "date" } } } })]);
    const check = steps.find("terms").check!;
    expect(() => check({ born: "1990-12-31" })).not.toThrow();
    expect(() => check({ born: "31/12/1990" })).toThrow('data.born: must match format "date"');
  });

  it("stops the service at start naming ONBOARDING_STEPS_FILE when the file is not a step list", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-data-"));
    try {
      const file = path.join(dir, "steps.json");
      await fs.writeFile(file, JSON.stringify({ steps: [step({ id: "Bad Id" })] }));
      const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", DATA_DIR: dir, ONBOARDING_STEPS_FILE: file });
      await expect(buildAppContext(config, { redis: null, signingKey: await testSigningKey(), dataKey: TEST_DATA_KEY })).rejects.toMatchObject({
        variable: "ONBOARDING_STEPS_FILE",
        message: expect.stringContaining("id must match"),
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("migration 0008_onboarding", () => {
  it("starts onboarding for users who signed up before it, keeping their MFA and identity-provider e-mail", async () => {
    const db = new Kysely<any>({ dialect: new PGliteDialect(await PGlite.create()) });
    try {
      const migrator = (upTo: string) => new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateTo(upTo);
      expect((await migrator("0007_status_history")).error).toBeUndefined();
      const user = (email: string, registrationType: string) =>
        db
          .insertInto("users")
          .values({ email, full_name: "Early User", status: "active", verification_status: "verified", registration_type: registrationType, investment_profile: "moderate", risk_tolerance: "medium", created_at: new Date("2026-01-01T00:00:00Z") })
          .returning("id")
          .executeTakeFirstOrThrow();
      const plain = await user("plain@example.com", "email");
      const federated = await user("fed@example.com", "google");
      await db.insertInto("credentials").values({ user_id: federated.id, kind: "oidc", oidc_issuer: "https://accounts.google.test", oidc_subject: "s1", created_at: new Date("2026-01-01T00:00:01Z") }).execute();
      await db.insertInto("mfa_methods").values({ user_id: plain.id, kind: "totp", status: "active", secret_sealed: "sealed", activated_at: new Date("2026-02-01T00:00:00Z") }).execute();
      expect((await migrator("0008_onboarding")).error).toBeUndefined();
      const rows = await db.selectFrom("onboardings").select(["user_id", "expires_at", "completed_at", "events", "steps"]).orderBy(sql`events::text`).execute();
      expect(rows).toEqual([
        { user_id: federated.id, expires_at: new Date("2026-01-31T00:00:00Z"), completed_at: null, events: { email_verified: expect.stringMatching(/^2026-01-01T00:00:01/) }, steps: {} },
        { user_id: plain.id, expires_at: new Date("2026-01-31T00:00:00Z"), completed_at: null, events: { mfa_enabled: expect.stringMatching(/^2026-02-01T00:00:00/) }, steps: {} },
      ]);
    } finally {
      await db.destroy();
    }
  });
});
