import { queues, type JobProcessors } from "../../jobs/queues.js";
import type { UserActivity } from "./activity.service.js";

/** ROLL_UP_ACTIVITY is the recurring job that stores users' daily figures. */
export const ROLL_UP_ACTIVITY = "roll-up-activity";

/** PREPARE_PARTITIONS is the recurring job that makes the coming months' activity partitions. */
export const PREPARE_PARTITIONS = "prepare-activity-partitions";

/** activityJobs are the activity feature's job processors. */
export function activityJobs(services: { activity: UserActivity }): JobProcessors {
  return {
    [queues.maintenance]: {
      [ROLL_UP_ACTIVITY]: async () => void (await services.activity.rollUp()),
      [PREPARE_PARTITIONS]: () => services.activity.preparePartitions(),
    },
  };
}
