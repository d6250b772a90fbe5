import { queues, type JobProcessors } from "../../jobs/queues.js";
import type { AuditTrail } from "./audit.service.js";

/** CHECKPOINT_AUDIT is the recurring job that signs a checkpoint of the audit lanes' heads. */
export const CHECKPOINT_AUDIT = "checkpoint-audit";

/** MAINTAIN_AUDIT_PARTITIONS is the recurring job that makes the trail's coming partitions and drops the months past retention. */
export const MAINTAIN_AUDIT_PARTITIONS = "maintain-audit-partitions";

/** auditJobs are the audit feature's job processors. */
export function auditJobs(services: { auditTrail: AuditTrail }): JobProcessors {
  return {
    [queues.maintenance]: {
      [CHECKPOINT_AUDIT]: async () => void (await services.auditTrail.checkpoint()),
      [MAINTAIN_AUDIT_PARTITIONS]: async () => void (await services.auditTrail.maintainPartitions()),
    },
  };
}
