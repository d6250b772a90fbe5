import type { DbOrTx, Tx } from "../../db/database.js";
import type { JsonObject } from "../../shared/json.js";
import type { Clock } from "../../platform/clock.js";
import { newId } from "../../platform/crypto/random.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import { countEventsSince, insertChained } from "./audit.repository.js";


/** AuditEvent describes one change for the audit trail. Values must hold no secrets. */
export interface AuditEvent {
  actorUserId: string | null;
  action: string;
  resourceType: string;
  resourceId: string;
  organizationId?: string;
  oldValues?: JsonObject;
  newValues?: JsonObject;
  reason?: string;
  origin: RequestOrigin;
  complianceRelevant?: boolean;
}

/** AuditLog records changes in the transaction that makes them. */
export class AuditLog {
  constructor(private readonly clock: Clock) {}

  /** record appends event to the audit trail inside trx; call it last in the transaction. */
  async record(trx: Tx, event: AuditEvent): Promise<void> {
    // A JSON round trip drops undefined members, as jsonb will, so the hash matches what is stored.
    const json = (value: JsonObject | undefined) => (value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonObject));
    await insertChained(trx, {
      id: newId(),
      actorUserId: event.actorUserId,
      action: event.action,
      resourceType: event.resourceType,
      resourceId: event.resourceId,
      organizationId: event.organizationId ?? null,
      oldValues: json(event.oldValues),
      newValues: json(event.newValues),
      reason: event.reason ?? null,
      ipAddress: event.origin.ipAddress ?? null,
      userAgent: event.origin.userAgent ?? null,
      complianceRelevant: event.complianceRelevant ?? false,
      createdAt: this.clock.now(),
    });
  }

  /** countSince counts the entries of these actions about or by a user since a time. */
  countSince(db: DbOrTx, userId: string, actions: readonly string[], since: Date): Promise<number> {
    return countEventsSince(db, userId, actions, since);
  }
}
