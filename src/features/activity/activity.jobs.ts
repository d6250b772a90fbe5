import { queues, type JobProcessors } from "../../jobs/queues.js";
import type { UserActivity } from "./activity.service.js";

/** ROLL_UP_ACTIVITY is the recurring job that stores users' daily figures. */
export const ROLL_UP_ACTIVITY = "roll-up-activity";

/** MAINTAIN_PARTITIONS is the recurring job that makes the coming months' activity partitions and drops the expired ones. */
export const MAINTAIN_PARTITIONS = "maintain-activity-partitions";

/** activityJobs are the activity feature's job processors. */
export function activityJobs(services: { activity: UserActivity }): JobProcessors {
  return {
    [queues.maintenance]: {
      [ROLL_UP_ACTIVITY]: async () => void (await services.activity.rollUp()),
      [MAINTAIN_PARTITIONS]: async () => void (await services.activity.maintainPartitions()),
    },
  };
}
