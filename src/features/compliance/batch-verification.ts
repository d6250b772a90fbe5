import type { Logger } from "../../platform/logger.js";
import type { VerificationStatusValue } from "../../shared/user-status.js";
import type { ProfileService } from "../profile/index.js";
import type { IdentityVerification, VerificationRequester } from "./identity-verification.js";

/** BatchOutcome is where one user of a batch stands when the batch answers. */
export type BatchOutcome = Exclude<VerificationStatusValue, "pending"> | "timed_out" | "not_found";

/** BATCH_BUDGET_MS is how long a batch may take before it answers: 500 ms, less what answering and the trip back take. */
export const BATCH_BUDGET_MS = 450;

/** BATCH_CONCURRENCY is how many users of a batch are verified at once: each holds a database connection while it decides. */
const BATCH_CONCURRENCY = 16;

/**
 * BatchVerification verifies many users at once (VerifyUsers): BATCH_CONCURRENCY at a time, in the
 * order given, answering when all are decided or the budget is spent, whichever comes first. Users
 * not decided by then are timed out in the answer and go on being verified here in the
 * background; should this process stop first, their verify-identity jobs from registration decide
 * them, as a pending user always has one.
 */
export class BatchVerification {
  constructor(private readonly deps: { verification: IdentityVerification; profiles: ProfileService; log: Logger; budgetMs?: number }) {}

  /** verify answers each user's outcome, in the order given; the decisions made are recorded as made for askedBy. */
  async verify(userIds: readonly string[], askedBy: VerificationRequester): Promise<Array<{ userId: string; outcome: BatchOutcome }>> {
    const decided = new Map<string, BatchOutcome>();
    let next = 0;
    const lane = async () => {
      while (next < userIds.length) {
        const userId = userIds[next++]!;
        const outcome = await this.outcomeOf(userId, askedBy).catch((error: unknown) => {
          this.deps.log.warn({ err: error, userId }, "batch verification of a user failed; its verification job decides it");
          return undefined;
        });
        if (outcome) decided.set(userId, outcome);
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.deps.budgetMs ?? BATCH_BUDGET_MS)));
    const all = Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, userIds.length) }, lane));
    await Promise.race([all, budget]);
    clearTimeout(timer);
    return userIds.map((userId) => ({ userId, outcome: decided.get(userId) ?? "timed_out" }));
  }

  private async outcomeOf(userId: string, askedBy: VerificationRequester): Promise<BatchOutcome> {
    const outcome = await this.deps.verification.verify(userId, askedBy);
    if (outcome === "no_such_user") return "not_found";
    if (outcome !== "already_decided") return outcome;
    const { verificationStatus } = await this.deps.profiles.get(userId);
    return verificationStatus === "pending" ? "timed_out" : verificationStatus;
  }
}
