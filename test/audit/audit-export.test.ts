import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { exportJWK } from "jose";
import { AuditService } from "../../gen/platform/user/v1/audit_service_pb.js";
import { transaction } from "../../src/db/transaction.js";
import type { ExportEntryLine, ExportHeaderLine, ExportLine } from "../../src/features/audit/audit-export-format.js";
import { auditHash } from "../../src/features/audit/audit-hash.js";
import { importedRecord } from "../../src/features/audit/audit-export-format.js";
import { checkExport } from "../../src/features/audit/index.js";
import { loadSigningKey } from "../../src/platform/crypto/access-tokens.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { CLI_TIMEOUT_MS, keyFile, runCli, useCliWorkspace, workDir } from "../support/cli.js";
import { ManualClock } from "../support/clock.js";
import { registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const ORGANIZATION = "5f0c2d8e-3b7a-4e1f-9c6d-2a8b4e6f1c30";
const FROM = new Date("2026-10-01T00:00:00Z");
const TO = new Date("2026-11-01T00:00:00Z");

async function* linesOf(lines: readonly string[]): AsyncIterable<string> {
  yield* lines;
}

describeWithServices("audit trail export", () => {
  useCliWorkspace();
  let t: TestApp;
  let clock: ManualClock;
  let officer: RegisteredUser;
  beforeAll(async () => {
    clock = new ManualClock(new Date("2026-09-15T12:00:00Z"));
    t = await startTestApp({ clock, signingKey: await loadSigningKey(keyFile), env: { AUDIT_CHAIN_LANES: "64", REGISTRATIONS_PER_IP_PER_HOUR: "1000" } });
    const record = async (at: string, resourceId: string, organizationId?: string) => {
      clock.set(new Date(at));
      await transaction(t.db, (trx) =>
        t.app.context.audit.record(trx, { actorUserId: null, action: "test.event", resourceType: "test", resourceId, organizationId, newValues: { at }, origin: {} }),
      );
    };
    // Before the range, in it, and after it; the checkpoint of 25 October signs the lanes mid-range.
    await record("2026-09-15T12:00:00Z", "alice");
    await record("2026-09-15T12:00:01Z", "org-event", ORGANIZATION);
    await record("2026-10-10T12:00:00Z", "alice");
    await record("2026-10-10T12:00:01Z", "org-event", ORGANIZATION);
    await record("2026-10-11T12:00:00Z", "org-event", ORGANIZATION);
    await record("2026-10-20T12:00:00Z", "carol");
    clock.set(new Date("2026-10-25T00:00:00Z"));
    await t.app.context.auditTrail.checkpoint();
    await record("2026-10-26T12:00:00Z", "alice");
    await record("2026-11-05T12:00:00Z", "alice");
    await record("2026-11-05T12:00:01Z", "org-event", ORGANIZATION);
    clock.set(new Date());
    officer = await registerWithRole(t, "compliance_officer");
  });
  afterAll(() => t?.close());

  const exportVia = async (token: string, organizationId = ""): Promise<string[]> => {
    const lines: string[] = [];
    const stream = createClient(AuditService, t.transport({ token })).exportAuditTrail({
      createdAfter: timestampFromDate(FROM),
      createdBefore: timestampFromDate(TO),
      organizationId,
      reason: "regulator request 2026-114",
    });
    for await (const batch of stream) lines.push(...batch.lines);
    return lines;
  };
  const jwks = () => t.app.context.accessTokens.jwks();
  const parsed = (lines: readonly string[]) => lines.map((line) => JSON.parse(line) as ExportLine);
  const entriesOf = (lines: readonly string[]) => parsed(lines).filter((line): line is ExportEntryLine => line.type === "entry");
  const inRangeRows = async (organizationId?: string) => {
    let query = t.db.selectFrom("audit_trail").select(["id", "lane"]).where("created_at", ">=", FROM).where("created_at", "<", TO);
    if (organizationId) query = query.where("organization_id", "=", organizationId);
    return query.execute();
  };

  describe("ExportAuditTrail", () => {
    it("exports every entry of the range with the entries that prove its ends, which the JWKS alone verifies", async () => {
      const lines = await exportVia(officer.accessToken);

      const header = JSON.parse(lines[0]!) as ExportHeaderLine;
      expect(header).toMatchObject({ type: "export", format: "user-service.audit-export.v1", createdAfter: FROM.toISOString(), createdBefore: TO.toISOString(), organizationId: null });
      const entries = entriesOf(lines);
      const expected = await inRangeRows();
      expect(entries.filter((e) => e.inRange).map((e) => e.entry.id).sort()).toEqual(expected.map((row) => row.id).sort());
      // Around the range: alice's September entry before it, and her November entry after it.
      const alice = entries.filter((e) => e.entry.resourceId === "alice");
      expect(alice.map((e) => [e.entry.createdAt, e.inRange])).toEqual([
        ["2026-09-15T12:00:00.000Z", false],
        ["2026-10-10T12:00:00.000Z", true],
        ["2026-10-26T12:00:00.000Z", true],
        ["2026-11-05T12:00:00.000Z", false],
      ]);

      const report = await checkExport(linesOf(lines), jwks());

      // Carol's lane has no entry after the range: the export's own checkpoint, made after it, signs her entry as the lane's head.
      expect(report).toMatchObject({ valid: true, complete: true, entries: expected.length, lanes: new Set(expected.map((row) => row.lane)).size, openEndedLanes: [] });
      expect(report.checkpoints).toBeGreaterThanOrEqual(2);
    });

    it("says which lanes may still gain entries in a range that has not ended", async () => {
      const stream = createClient(AuditService, t.transport({ token: officer.accessToken })).exportAuditTrail({
        createdAfter: timestampFromDate(FROM),
        createdBefore: timestampFromDate(new Date(Date.now() + 86_400_000)),
        reason: "open range",
      });
      const lines: string[] = [];
      for await (const batch of stream) lines.push(...batch.lines);

      const report = await checkExport(linesOf(lines), jwks());

      const carolLane = entriesOf(lines).find((e) => e.entry.resourceId === "carol")!.lane;
      expect(report).toMatchObject({ valid: true, complete: false });
      expect(report.openEndedLanes).toContain(carolLane);
    });

    it("exports one organization's lane only", async () => {
      const lines = await exportVia(officer.accessToken, ORGANIZATION);

      const entries = entriesOf(lines);
      expect(new Set(entries.map((e) => e.lane))).toEqual(new Set([`org:${ORGANIZATION}`]));
      expect(entries.filter((e) => e.inRange)).toHaveLength((await inRangeRows(ORGANIZATION)).length);
      expect(await checkExport(linesOf(lines), jwks())).toMatchObject({ valid: true, lanes: 1, openEndedLanes: [] });
    });

    it("records each export, with its reason and the officer, in the audit trail", async () => {
      await exportVia(officer.accessToken, ORGANIZATION);

      const row = await t.db.selectFrom("audit_trail").selectAll().where("action", "=", "audit.export").orderBy("seq", "desc").executeTakeFirstOrThrow();
      expect(row).toMatchObject({ actor_user_id: officer.userId, organization_id: ORGANIZATION, reason: "regulator request 2026-114", compliance_relevant: true });
      expect(row.new_values).toEqual({ createdAfter: FROM.toISOString(), createdBefore: TO.toISOString() });
    });

    it("is recorded in the caller's activity once the whole export is streamed", async () => {
      await exportVia(officer.accessToken, ORGANIZATION);
      await t.app.context.activityRecorder.flush();

      const calls = await t.db.selectFrom("user_activities").selectAll().where("user_id", "=", officer.userId).where("method", "=", "AuditService/ExportAuditTrail").execute();
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.every((call) => call.status_code === "OK" && call.activity_type === "feature_use")).toBe(true);
    });

    it("is refused to users without audit.export, and to a range that ends before it starts", async () => {
      const user = await registerUser(t);
      await expect(exportVia(user.accessToken)).rejects.toMatchObject({ code: Code.PermissionDenied });
      const backwards = createClient(AuditService, t.transport({ token: officer.accessToken })).exportAuditTrail({
        createdAfter: timestampFromDate(TO),
        createdBefore: timestampFromDate(FROM),
        reason: "backwards",
      });
      const error = await (async () => {
        for await (const _ of backwards) void _;
      })().catch((e: unknown) => ConnectError.from(e));
      expect(error).toMatchObject({ code: Code.InvalidArgument });
    });
  });

  describe("checking an export offline", () => {
    let lines: string[];
    beforeAll(async () => {
      lines = await exportVia(officer.accessToken);
    });
    const firstOf = (where: (line: ExportEntryLine) => boolean) => lines.findIndex((text) => text.includes('"type":"entry"') && where(JSON.parse(text) as ExportEntryLine));
    const edited = (index: number, change: (line: ExportEntryLine) => void) =>
      lines.map((text, i) => {
        if (i !== index) return text;
        const line = JSON.parse(text) as ExportEntryLine;
        change(line);
        return JSON.stringify(line);
      });
    const problemOf = async (tampered: string[]) => (await checkExport(linesOf(tampered), jwks())).problem;

    it("finds an entry whose content was changed", async () => {
      const index = firstOf((line) => line.inRange && line.entry.resourceId === "alice");
      const tampered = edited(index, (line) => (line.entry.newValues = { at: "never" }));
      expect(await problemOf(tampered)).toMatchObject({ kind: "content_changed", line: index + 1 });
    });

    it("finds an entry left out of the middle of a lane", async () => {
      const index = firstOf((line) => line.inRange && line.entry.resourceId === "alice");
      expect(await problemOf(lines.filter((_, i) => i !== index))).toMatchObject({ kind: "entries_missing" });
    });

    it("finds a lane whose entry before the range was left out, so its first entries could be missing", async () => {
      const index = firstOf((line) => !line.inRange && line.entry.resourceId === "alice");
      const tampered = lines.filter((_, i) => i !== index && i !== index + 1);
      expect(await problemOf(tampered)).toMatchObject({ kind: "start_unproven" });
    });

    /** The lines of alice's lane, by index; later entries of other users may share her lane. */
    const aliceLines = () => {
      const lane = entriesOf(lines).find((e) => e.entry.resourceId === "alice")!.lane;
      return { lane, indexes: lines.flatMap((text, i) => (text.includes(`"lane":"${lane}"`) ? [i] : [])) };
    };

    it("finds a lane's end rewritten with fresh hashes, which no checkpoint signed", async () => {
      const index = aliceLines().indexes.at(-1)!;
      const tampered = edited(index, (line) => {
        line.entry.reason = "rewritten";
        line.hash = auditHash(Buffer.from(line.prevHash, "hex"), importedRecord(line.entry)).toString("hex");
      });
      expect(await problemOf(tampered)).toMatchObject({ kind: "unsigned" });
    });

    it("finds a lane whose last entries were cut off at one an earlier checkpoint signed: valid, but not complete", async () => {
      // The checkpoint of 25 October signed alice's entry of 10 October as her lane's head.
      const { lane, indexes } = aliceLines();
      const tenth = firstOf((line) => line.entry.resourceId === "alice" && line.entry.createdAt.startsWith("2026-10-10"));
      const cut = lines.filter((_, i) => !indexes.includes(i) || i <= tenth);

      const report = await checkExport(linesOf(cut), jwks());

      expect(report).toMatchObject({ valid: true, complete: false, openEndedLanes: [lane] });
    });

    it("finds an entry marked as in the range when it is not", async () => {
      const index = firstOf((line) => !line.inRange);
      expect(await problemOf(edited(index, (line) => (line.inRange = true)))).toMatchObject({ kind: "malformed" });
    });

    it("refuses checkpoints that the service's keys did not sign", async () => {
      const other = await exportJWK(generateKeyPairSync("ed25519").publicKey);
      const report = await checkExport(linesOf(lines), { keys: [{ ...other, kid: jwks().keys[0]!.kid, alg: "EdDSA", use: "sig" }] });
      expect(report).toMatchObject({ valid: false, problem: { kind: "checkpoint_invalid" } });
    });

    it("finds another lane slipped into an organization's export", async () => {
      const own = await exportVia(officer.accessToken, ORGANIZATION);
      const foreign = lines.filter((text) => text.includes('"type":"entry"') && !text.includes(ORGANIZATION));
      expect(await problemOf([...own, ...foreign])).toMatchObject({ kind: "out_of_scope" });
    });
  });

  describe("the CLI", () => {
    it(
      "writes an export to a new file readable by its owner, which verify-audit-export checks with the JWKS alone",
      async () => {
        const env = { DATABASE_URL: t.database!.url, JWT_PRIVATE_KEY_FILE: keyFile };
        const out = path.join(workDir, "export.jsonl");
        const jwksFile = path.join(workDir, "jwks.json");
        await fs.writeFile(jwksFile, JSON.stringify(jwks()));

        const exported = await runCli(["export-audit", "--from", FROM.toISOString(), "--to", TO.toISOString(), "--reason", "annual review", "--out", out], env);

        expect(exported.code).toBe(0);
        expect((await fs.stat(out)).mode & 0o777).toBe(0o600);
        const verified = await runCli(["verify-audit-export", "--jwks", jwksFile, "--file", out]);
        expect(verified.code).toBe(0);
        expect(JSON.parse(verified.stdout)).toMatchObject({ valid: true, entries: (await inRangeRows()).length });

        const tampered = (await fs.readFile(out, "utf8")).replace('"resourceId":"carol"', '"resourceId":"mallory"');
        await fs.writeFile(path.join(workDir, "tampered.jsonl"), tampered);
        const refused = await runCli(["verify-audit-export", "--jwks", jwksFile, "--file", path.join(workDir, "tampered.jsonl")]);
        expect(refused.code).toBe(1);
        expect(JSON.parse(refused.stdout)).toMatchObject({ valid: false, problem: { kind: "content_changed" } });

        const again = await runCli(["export-audit", "--from", FROM.toISOString(), "--to", TO.toISOString(), "--reason", "again", "--out", out], env);
        expect(again.code).toBe(64);
        expect(again.stderr).toContain("exists");
      },
      4 * CLI_TIMEOUT_MS,
    );
  });
});
