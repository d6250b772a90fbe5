import { Counter, type Registry } from "prom-client";
import type { Db, Tx } from "../../db/database.js";
import { afterCommit, transaction } from "../../db/transaction.js";
import { enqueue, queues } from "../../jobs/outbox.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/logger.js";
import type { AuditLog } from "../audit/index.js";
import type { UserLifecycle } from "../lifecycle/index.js";
import type { ProfileService } from "../profile/index.js";
import type { Sessions } from "../sessions/index.js";
import type { ComplianceViolations } from "./compliance-violations.js";
import { behaviourFactors } from "./behaviour-baseline.js";
import { findStepUp, lockComplianceProfile, saveComplianceProfile, type ComplianceProfileRow } from "./compliance.repository.js";
import { reviewDueAfter, riskScoreOf, SCREENING_RISK, type RiskFactor } from "./risk-rating.js";

/** RiskScoringDependencies are what scoring reads and what the security protocols change. */
export interface RiskScoringDependencies {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  profiles: ProfileService;
  sessions: Sessions;
  lifecycle: UserLifecycle;
  metrics: Registry;
  log: Logger;
  /** HIGH_RISK_THRESHOLD. */
  highRiskThreshold: number;
  /** HIGH_RISK_LOCK_DURATION, in seconds. */
  lockSeconds: number;
  /** Counts the users who reached the threshold as compliance violations. */
  violations: ComplianceViolations;
}

const DAY_MS = 24 * 3600 * 1000;
/** BASELINE_DAYS is how far back a user's habits are read, before the last day. */
const BASELINE_DAYS = 90;
/** Audited events that count as failed attempts and as security events. */
const FAILED_ATTEMPTS = ["auth.login_failed", "auth.mfa_failed"] as const;
const SECURITY_EVENTS = ["auth.lockout", "auth.sign_in_blocked", "auth.refresh_token_reuse", "security.admin_address_refused"] as const;

/** ScoreOutcome is a user's new score, its factors, and which security protocols this run started. */
export interface ScoreOutcome {
  score: number;
  factors: RiskFactor[];
  protocols: Array<"alert" | "lock" | "step_up">;
}

/**
 * RiskScoring scores a user's risk (the risk-scoring job, after sign-ins and compliance changes):
 * the last day's sign-in risk, failed attempts and security events, the screening, the KYC level,
 * the account's age, and how far the last day's sign-ins depart from the user's habits. At or above
 * HIGH_RISK_THRESHOLD the security protocols run, in order and each once per high-risk episode:
 * an alert (audited, counted, a notification job), a temporary lock, and a step-up flag that makes
 * the next sign-ins need a second factor and opens a KYC review. The episode ends when the score
 * falls below the threshold; the step-up flag stays until a KYC decision clears it.
 */
export class RiskScoring {
  private readonly alerts: Counter;

  constructor(private readonly deps: RiskScoringDependencies) {
    this.alerts = new Counter({ name: "high_risk_alerts_total", help: "Users whose risk score reached HIGH_RISK_THRESHOLD (security alerts raised).", registers: [deps.metrics] });
  }

  /** score scores the user now; undefined for a user who is gone. */
  async score(userId: string): Promise<ScoreOutcome | undefined> {
    const { db, clock, audit, profiles, sessions } = this.deps;
    const now = clock.now();
    const dayAgo = new Date(now.getTime() - DAY_MS);
    const account = await profiles.get(userId).catch(() => undefined);
    if (!account) return undefined;
    const [signIns, failures, securityEvents] = await Promise.all([
      sessions.signInsSince(userId, new Date(now.getTime() - (BASELINE_DAYS + 1) * DAY_MS)),
      audit.countSince(db, userId, FAILED_ATTEMPTS, dayAgo),
      audit.countSince(db, userId, SECURITY_EVENTS, new Date(now.getTime() - 30 * DAY_MS)),
    ]);
    const recent = signIns.filter((signIn) => signIn.at >= dayAgo);
    const activity: RiskFactor[] = [
      ...behaviourFactors(signIns.filter((signIn) => signIn.at < dayAgo), recent, BASELINE_DAYS),
      { code: "sign_in_risk", weight: Math.round(Math.max(0, ...recent.map((signIn) => signIn.riskScore)) * 0.4) },
      { code: "failed_attempts", weight: Math.min(20, failures * 4) },
      { code: "security_events", weight: Math.min(30, securityEvents * 10) },
      { code: "new_account", weight: now.getTime() - account.createdAt.getTime() < 7 * DAY_MS ? 10 : 0 },
    ];
    return transaction(db, async (trx) => {
      // The account first, then its compliance profile, as every compliance change locks them: the
      // security protocols may change the account's status.
      if (!(await profiles.lockApplicant(trx, userId))) return undefined;
      const before = await lockComplianceProfile(trx, userId);
      const factors = [
        ...activity,
        { code: "kyc_level_none", weight: (before?.kyc_level ?? 0) === 0 ? 10 : 0 },
        ...(before?.risk_factors ?? []).filter((factor) => factor.code in SCREENING_RISK),
      ].filter((factor) => factor.weight > 0);
      const score = riskScoreOf(factors);
      const due = reviewDueAfter(score, now);
      await saveComplianceProfile(trx, {
        user_id: userId,
        risk_score: score,
        risk_factors: JSON.stringify(factors),
        scored_at: now,
        next_review_at: before?.next_review_at && before.next_review_at < due ? before.next_review_at : due,
        ...(before === undefined && { reviewed_risk_score: score }),
        created_at: before?.created_at ?? now,
        updated_at: now,
      });
      const protocols = score >= this.deps.highRiskThreshold ? await this.runProtocols(trx, userId, before, score, factors, now) : await this.endEpisode(trx, userId, before);
      return { score, factors, protocols };
    });
  }

  /** runProtocols runs the episode's security protocols not yet run, in order, and says which it ran. */
  private async runProtocols(trx: Tx, userId: string, before: ComplianceProfileRow | undefined, score: number, factors: RiskFactor[], now: Date): Promise<ScoreOutcome["protocols"]> {
    const { audit, lifecycle, lockSeconds, log } = this.deps;
    const ran: ScoreOutcome["protocols"] = [];
    const episode = {
      high_risk_since: before?.high_risk_since ?? now,
      alerted_at: before?.alerted_at ?? null,
      locked_at: before?.locked_at ?? null,
      step_up_at: before?.step_up_at ?? null,
      step_up_required: before?.step_up_required ?? false,
    };
    if (!episode.alerted_at) {
      await audit.record(trx, {
        actorUserId: null,
        action: "security.high_risk_alert",
        resourceType: "user",
        resourceId: userId,
        newValues: { riskScore: score, riskFactors: factors.map((factor) => factor.code), threshold: this.deps.highRiskThreshold },
        origin: {},
        complianceRelevant: true,
      });
      await enqueue(trx, queues.notifications, "security-alert", { userId });
      afterCommit(trx, async () => {
        this.alerts.inc();
        this.deps.violations.highRisk();
        log.warn({ userId, riskScore: score }, "security alert: a user's risk score reached HIGH_RISK_THRESHOLD");
      });
      episode.alerted_at = now;
      ran.push("alert");
    }
    // Only an active account is locked: a lock that ends leaves an account active, which an account
    // still pending verification must not become. Such an account is locked once it is active, if the
    // episode lasts; until then its KYC level's limits keep it from trading.
    if (!episode.locked_at) {
      const lockedUntil = new Date(now.getTime() + lockSeconds * 1000);
      if (await lifecycle.moveWithin(trx, { userId, from: "active", to: "locked", reason: "high_risk", actorUserId: null, origin: {}, lockedUntil })) {
        episode.locked_at = now;
        ran.push("lock");
      }
    }
    // Once per episode: a KYC decision that cleared the flag is not undone while the episode lasts.
    let reviewOpen = {};
    if (!episode.step_up_at) {
      episode.step_up_at = now;
      episode.step_up_required = true;
      if (!before?.review_requested_at) reviewOpen = { review_reason: "high_risk", review_requested_at: now };
      ran.push("step_up");
    }
    await saveComplianceProfile(trx, { user_id: userId, ...episode, ...reviewOpen, created_at: before?.created_at ?? now, updated_at: now });
    return ran;
  }

  /** endEpisode closes a high-risk episode once the score is below the threshold; the step-up flag stays. */
  private async endEpisode(trx: Tx, userId: string, before: ComplianceProfileRow | undefined): Promise<ScoreOutcome["protocols"]> {
    if (before?.high_risk_since) {
      await saveComplianceProfile(trx, { user_id: userId, high_risk_since: null, alerted_at: null, locked_at: null, step_up_at: null, created_at: before.created_at, updated_at: this.deps.clock.now() });
    }
    return [];
  }
}

/** StepUpFlags tells sign-ins whether the security protocols asked a user's next sign-ins for a second factor whatever the device. */
export class StepUpFlags {
  constructor(private readonly db: Db) {}

  /** required says whether the user's sign-ins need a second factor whatever the device. */
  async required(userId: string): Promise<boolean> {
    return (await findStepUp(this.db, userId)) ?? false;
  }
}
