import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import YAML from "yaml";
import { startTestApp, type TestApp } from "../support/app.js";
import { registerUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const run = promisify(execFile);
const MONITORING = fileURLToPath(new URL("../../monitoring/", import.meta.url));

interface Rule {
  alert: string;
  expr: string;
}
const manifest = YAML.parse(await fs.readFile(path.join(MONITORING, "prometheus-rule.yaml"), "utf8")) as { kind: string; spec: { groups: Array<{ rules: Rule[] }> } };
const rules = manifest.spec.groups.flatMap((group) => group.rules);

/** promtoolAvailable says whether Debian's prometheus package is installed; under REQUIRE_SERVICES=1 it must be. */
async function promtoolAvailable(): Promise<boolean> {
  const found = await run("promtool", ["--version"]).then(
    () => true,
    () => false,
  );
  if (!found && process.env.REQUIRE_SERVICES === "1") throw new Error("REQUIRE_SERVICES=1 but promtool is missing (apt-get install prometheus)");
  if (!found) console.warn("skipping the promtool tests: promtool is missing (apt-get install prometheus)");
  return found;
}

const describeWithPromtool = (await promtoolAvailable()) ? describe : describe.skip;
const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

/** The PromQL functions among an expression's snake_case words, which are not metric names. */
const FUNCTIONS = new Set(["histogram_quantile"]);

/** metricsOf lists the metric names an expression reads (label values, quoted, left out). */
function metricsOf(expr: string): string[] {
  return [...new Set(expr.replace(/"[^"]*"/g, "").match(/\b[a-z]+(?:_[a-z0-9]+)+\b/g) ?? [])].filter((word) => !FUNCTIONS.has(word));
}

describe("the PrometheusRule", () => {
  it("is a PrometheusRule whose alerts each carry a severity", () => {
    expect(manifest.kind).toBe("PrometheusRule");
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(["RepeatedMfaFailures", "UnusualGeography", "PrivilegeEscalationAttempts", "ComplianceReviewsDueSoon", "ComplianceReviewOverdue", "LatencyDegradation"]),
    );
    for (const group of manifest.spec.groups) for (const rule of group.rules as Array<Rule & { labels?: { severity?: string } }>) expect(rule.labels?.severity).toMatch(/^(info|warning|critical)$/);
  });
});

describeWithPromtool("the PrometheusRule under promtool", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-alerts-"));
    await fs.writeFile(path.join(dir, "alerts.rules.yaml"), YAML.stringify(manifest.spec));
    await fs.copyFile(path.join(MONITORING, "alerts.test.yaml"), path.join(dir, "alerts.test.yaml"));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it("passes promtool check rules", async () => {
    const { stdout } = await run("promtool", ["check", "rules", "alerts.rules.yaml"], { cwd: dir });
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it("raises each alert on the series that should, and no other (promtool test rules)", async () => {
    const outcome = await run("promtool", ["test", "rules", "alerts.test.yaml"], { cwd: dir }).catch((error: { stdout: string; stderr: string }) => error);
    expect(`${outcome.stdout}${outcome.stderr}`).toContain("SUCCESS");
  });
});

describeWithServices("the alerts against the service's /metrics", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await registerUser(t);
  });
  afterAll(() => t?.close());

  it("read only metrics the service exposes", async () => {
    const exposition = await (await fetch(`${t.baseUrl}/metrics`)).text();
    const exposed = new Set([...exposition.matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap(([, name, type]) => (type === "histogram" ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name!])));

    const missing = rules.flatMap((rule) => metricsOf(rule.expr).filter((name) => !exposed.has(name)).map((name) => `${rule.alert}: ${name}`));

    expect(missing).toEqual([]);
  });
});
