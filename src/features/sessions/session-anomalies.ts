import { Counter, type Registry } from "prom-client";

/** SessionAnomaly is a sign of a stolen or shared session: a spent refresh token presented again, a sign-in from a new country or from too far to have travelled. */
export type SessionAnomaly = "refresh_token_reuse" | "new_country" | "impossible_travel";

/** SessionAnomalies counts session anomalies in session_anomalies_total, by kind, for the alerts to watch. */
export class SessionAnomalies {
  private readonly counter: Counter<"kind">;

  constructor(metrics: Registry) {
    this.counter = new Counter({ name: "session_anomalies_total", help: "Session anomalies seen, by kind.", labelNames: ["kind"], registers: [metrics] });
  }

  /** seen counts one anomaly. */
  seen(kind: SessionAnomaly): void {
    this.counter.inc({ kind });
  }
}
