import { queues, type JobProcessors } from "../../jobs/queues.js";
import type { AuditTrail } from "./audit.service.js";

/** CHECKPOINT_AUDIT is the recurring job that signs a checkpoint of the audit lanes' heads. */
export const CHECKPOINT_AUDIT = "checkpoint-audit";

/** auditJobs are the audit feature's job processors. */
export function auditJobs(services: { auditTrail: AuditTrail }): JobProcessors {
  return {
    [queues.maintenance]: {
      [CHECKPOINT_AUDIT]: async () => void (await services.auditTrail.checkpoint()),
    },
  };
}
