import type { Db } from "../../db/database.js";
import { transaction } from "../../db/transaction.js";
import type { NetworkList } from "../../platform/networks.js";
import type { Principal } from "../../shared/principal.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { AuditLog } from "../audit/index.js";

/**
 * AdminNetworks is ADMIN_IP_ALLOWLIST: platform roles count only for calls from these networks.
 * A call refused because it came from elsewhere is audited as a security event.
 */
export class AdminNetworks {
  constructor(
    private readonly networks: NetworkList | undefined,
    private readonly db: Db,
    private readonly audit: AuditLog,
  ) {}

  /** admits says whether platform roles count for a call from this address; with no allowlist, they count everywhere. */
  admits(ipAddress: string | undefined): boolean {
    return this.networks === undefined || this.networks.contains(ipAddress);
  }

  /** refused audits a call that a platform role would have allowed from an allowed network. */
  async refused(principal: Principal, rpc: string, permission: string, origin: RequestOrigin): Promise<void> {
    await transaction(this.db, (trx) =>
      this.audit.record(trx, {
        actorUserId: principal.userId,
        action: "security.admin_address_refused",
        resourceType: "rpc",
        resourceId: rpc,
        newValues: { permission, platformRoles: principal.platformRoles },
        origin,
        complianceRelevant: true,
      }),
    );
  }
}
