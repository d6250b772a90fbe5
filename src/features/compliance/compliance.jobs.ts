import { SCORE_USER } from "../../jobs/outbox.js";
import { PermanentJobFailure, queues, type Job, type JobProcessors } from "../../jobs/queues.js";
import type { IdentityVerification } from "./identity-verification.js";
import type { Logger } from "../../platform/logger.js";
import type { PeriodicReviews } from "./periodic-reviews.js";
import type { RiskScoring } from "./risk-scoring.js";
import type { ScreeningRequests } from "./screening-requests.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** userIdOf reads the user id a job is about; a job without one can never succeed. */
function userIdOf(job: Job): string {
  const { userId } = job.payload;
  if (typeof userId !== "string" || !UUID.test(userId)) throw new PermanentJobFailure(`job ${job.name} carries no user id`);
  return userId;
}

/** complianceJobs are the compliance feature's job processors. */
export function complianceJobs(services: {
  verification: IdentityVerification;
  screenings: ScreeningRequests;
  reviews: PeriodicReviews;
  riskScoring: RiskScoring;
  log: Logger;
}): JobProcessors {
  const { verification, screenings, reviews, riskScoring, log } = services;
  return {
    [queues.identityVerification]: {
      "verify-identity": async (job) => void (await verification.verify(userIdOf(job))),
    },
    [queues.complianceScreening]: {
      // The job's id is the screening's: the profile awaits it by that id.
      "screen-user": async (job) => void (await screenings.run(userIdOf(job), job.id)),
    },
    [queues.maintenance]: {
      "review-profiles": async () => void (await reviews.sweep()),
    },
    [queues.riskScoring]: {
      [SCORE_USER]: async (job) => void (await riskScoring.score(userIdOf(job))),
    },
    [queues.notifications]: {
      // The service has no channel to the security team of its own: the alert is a log line at
      // error level (and high_risk_alerts_total) for the operators' alerting to pick up.
      "security-alert": async (job) => log.error({ userId: userIdOf(job) }, "security alert: a user's risk score reached HIGH_RISK_THRESHOLD; their account is locked for review"),
    },
  };
}
