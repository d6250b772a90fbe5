import type { Db, Tx } from "../../db/database.js";
import { transaction } from "../../db/transaction.js";
import type { Clock } from "../../platform/clock.js";
import type { OnboardingEvent } from "../../shared/onboarding-events.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { AuditLog } from "../audit/index.js";
import type { OnboardingSteps, StepDefinition } from "./onboarding-steps.js";
import * as errors from "./onboarding.errors.js";
import { findOnboarding, insertOnboarding, lockOnboarding, saveOnboarding, type OnboardingRow } from "./onboarding.repository.js";

/** MAX_DATA_BYTES is the largest step data the API accepts, as JSON. */
const MAX_DATA_BYTES = 64 * 1024;

/** StepProgress is one step of a user's checklist. */
export interface StepProgress {
  definition: StepDefinition;
  data: Record<string, unknown> | undefined;
  /** When the step was completed; undefined while it is pending. */
  completedAt: Date | undefined;
}

/** OnboardingProgress is a user's checklist as of now. */
export interface OnboardingProgress {
  steps: StepProgress[];
  completedAt: Date | undefined;
  expiresAt: Date;
  /** The deadline passed before onboarding completed. */
  expired: boolean;
}

/** OnboardingDeps are what Onboarding works with. */
export interface OnboardingDeps {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  steps: OnboardingSteps;
  /** How long a user has to complete onboarding from registration. */
  expiresAfterSeconds: number;
}

/**
 * Onboarding guides a new user through the configured steps. Steps that take data are completed by
 * the user; automatic ones by events other features report (happened) in their own transactions.
 * Onboarding completes when every required step has, and expires at a deadline fixed at
 * registration; an expired onboarding takes no more answers.
 */
export class Onboarding {
  constructor(private readonly deps: OnboardingDeps) {}

  /** begin starts a new user's onboarding inside the registration's transaction. */
  async begin(trx: Tx, userId: string): Promise<void> {
    const now = this.deps.clock.now();
    await insertOnboarding(trx, userId, now, new Date(now.getTime() + this.deps.expiresAfterSeconds * 1000));
  }

  /** get is the user's checklist. */
  async get(userId: string): Promise<OnboardingProgress> {
    const row = await findOnboarding(this.deps.db, userId);
    if (!row) throw errors.noOnboarding();
    return this.progressOf(row);
  }

  /**
   * completeStep checks the data against the step's schema and records it, replacing earlier
   * answers, under the onboarding's row lock; it completes onboarding when this was the last
   * required step. Audited as compliance-relevant: answers such as the risk questionnaire and the
   * accepted terms are what suitability checks rest on.
   */
  async completeStep(userId: string, stepId: string, data: Record<string, unknown>, origin: RequestOrigin): Promise<OnboardingProgress> {
    const step = this.deps.steps.find(stepId);
    if (!step.check) throw errors.automaticStep(stepId);
    if (Buffer.byteLength(JSON.stringify(data)) > MAX_DATA_BYTES) throw errors.dataTooLarge(MAX_DATA_BYTES);
    step.check(data);
    const now = this.deps.clock.now();
    return transaction(this.deps.db, async (trx) => {
      const row = await lockOnboarding(trx, userId);
      if (!row) throw errors.noOnboarding();
      if (this.progressOf(row).expired) throw errors.onboardingExpired();
      const previous = row.steps[stepId];
      const next = this.completing({ ...row, steps: { ...row.steps, [stepId]: { data, completedAt: now.toISOString() } } }, now);
      await saveOnboarding(trx, next);
      await this.deps.audit.record(trx, {
        actorUserId: userId,
        action: "onboarding.step_complete",
        resourceType: "onboarding",
        resourceId: userId,
        ...(previous && { oldValues: { stepId, data: previous.data } }),
        newValues: { stepId, data, ...(next.completed_at !== row.completed_at && { onboardingCompleted: true }) },
        origin,
        complianceRelevant: true,
      });
      return this.progressOf(next);
    });
  }

  /**
   * happened records, inside the caller's transaction, that an event an automatic step may wait
   * for took place, keeping the first time it did; the step it completes is audited. Events after
   * the deadline are kept but complete nothing.
   */
  async happened(trx: Tx, userId: string, event: OnboardingEvent, origin: RequestOrigin): Promise<void> {
    const row = await lockOnboarding(trx, userId);
    if (!row || row.events[event]) return;
    const now = this.deps.clock.now();
    const recorded = { ...row, events: { ...row.events, [event]: now.toISOString() } };
    const expired = this.progressOf(row).expired;
    const next = expired ? recorded : this.completing(recorded, now);
    await saveOnboarding(trx, next);
    const step = this.deps.steps.completedOn(event);
    if (!step || expired) return;
    await this.deps.audit.record(trx, {
      actorUserId: userId,
      action: "onboarding.step_complete",
      resourceType: "onboarding",
      resourceId: userId,
      newValues: { stepId: step.definition.id, event, ...(next.completed_at !== row.completed_at && { onboardingCompleted: true }) },
      origin,
      complianceRelevant: true,
    });
  }

  /** completing marks the onboarding completed now if every required step is and it was not already. */
  private completing(row: OnboardingRow, now: Date): OnboardingRow {
    if (row.completed_at) return row;
    const done = this.stepsOf(row).every((step) => !step.definition.required || step.completedAt);
    return done ? { ...row, completed_at: now } : row;
  }

  private stepsOf(row: OnboardingRow): StepProgress[] {
    return this.deps.steps.steps.map(({ definition }) => {
      if (definition.completesOn) {
        const at = row.events[definition.completesOn];
        return { definition, data: undefined, completedAt: at ? new Date(at) : undefined };
      }
      const answered = row.steps[definition.id];
      return { definition, data: answered?.data, completedAt: answered ? new Date(answered.completedAt) : undefined };
    });
  }

  private progressOf(row: OnboardingRow): OnboardingProgress {
    const completedAt = row.completed_at ?? undefined;
    return {
      steps: this.stepsOf(row),
      completedAt,
      expiresAt: row.expires_at,
      expired: !completedAt && this.deps.clock.now() >= row.expires_at,
    };
  }
}
