import { PermanentJobFailure, queues, type Job, type JobProcessors } from "../../jobs/queues.js";
import type { IdentityVerification } from "./identity-verification.js";
import type { PeriodicReviews } from "./periodic-reviews.js";
import type { ScreeningRequests } from "./screening-requests.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** userIdOf reads the user id a job is about; a job without one can never succeed. */
function userIdOf(job: Job): string {
  const { userId } = job.payload;
  if (typeof userId !== "string" || !UUID.test(userId)) throw new PermanentJobFailure(`job ${job.name} carries no user id`);
  return userId;
}

/** complianceJobs are the compliance feature's job processors. */
export function complianceJobs(verification: IdentityVerification, screenings: ScreeningRequests, reviews: PeriodicReviews): JobProcessors {
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
  };
}
