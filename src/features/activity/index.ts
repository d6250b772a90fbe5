export { ActivityRecorder, type ActivityRecorderOptions } from "./activity-recorder.js";
export { ActivityAccess } from "./activity-access.js";
export { UserActivity } from "./activity.service.js";
export { activityRpc } from "./activity.rpc.js";
export { activityJobs, MAINTAIN_PARTITIONS, ROLL_UP_ACTIVITY } from "./activity.jobs.js";
