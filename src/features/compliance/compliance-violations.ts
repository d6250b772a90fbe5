import { Counter, type Registry } from "prom-client";
import type { Screening } from "./verification.js";

/**
 * ComplianceViolations counts what compliance must act on in compliance_violations_total, by kind:
 * a screening that matched the sanctions list or a politically exposed person, and a user whose risk
 * score reached HIGH_RISK_THRESHOLD.
 */
export class ComplianceViolations {
  private readonly counter: Counter<"kind">;

  constructor(metrics: Registry) {
    this.counter = new Counter({ name: "compliance_violations_total", help: "Compliance violations found, by kind.", labelNames: ["kind"], registers: [metrics] });
  }

  /** screened counts the matches of a recorded screening. */
  screened(screening: Screening): void {
    if (screening.sanctions === "potential_match") this.counter.inc({ kind: "sanctions_match" });
    if (screening.pep === "pep") this.counter.inc({ kind: "pep_match" });
  }

  /** highRisk counts a user whose risk score reached the threshold. */
  highRisk(): void {
    this.counter.inc({ kind: "high_risk" });
  }
}
