import type { Db, Tx } from "../../db/database.js";
import { transaction } from "../../db/transaction.js";
import type { Clock } from "../../platform/clock.js";
import type { Principal } from "../../shared/principal.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import { DomainError } from "../../shared/domain-error.js";
import type { AuditLog } from "../audit/index.js";
import type { ProfileService } from "../profile/index.js";
import type { ComplianceAccess } from "./compliance-access.js";
import * as errors from "./compliance.errors.js";
import {
  decideLimitRequest,
  findLimitRequest,
  insertLimitRequest,
  lockComplianceProfile,
  lockLimitRequest,
  saveComplianceProfile,
  supersedePendingLimitRequest,
  type ComplianceProfileRow,
} from "./compliance.repository.js";
import { limitsInForce, type ComplianceProfile, type ComplianceProfiles } from "./compliance.service.js";
import { withinLevelDefaults, type TradingLimitsValue } from "./trading-limits.js";

/** OfficerAct is why an officer acts, and through which organization (none for platform officers). */
interface OfficerAct {
  reason: string;
  organizationId: string | undefined;
}

/** TradingLimitChangesDependencies are what limit changes read and write. */
export interface TradingLimitChangesDependencies {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  profiles: ProfileService;
  access: ComplianceAccess;
  compliance: ComplianceProfiles;
}

const PERMISSION = "compliance.limits.update";

/**
 * TradingLimitChanges sets users' trading limits (SetTradingLimits) with four eyes above the KYC
 * level's defaults: such limits wait as a request until a second compliance officer approves them
 * (ApproveTradingLimits) or one turns them down (RejectTradingLimits). A user has at most one
 * request waiting; a new SetTradingLimits replaces it. The user's row lock orders every change of
 * their limits, and the request's row lock lets one officer decide it.
 */
export class TradingLimitChanges {
  constructor(private readonly deps: TradingLimitChangesDependencies) {}

  /** set puts limits within the defaults into effect, or files them for approval; it answers the profile after. */
  async set(caller: Principal, userId: string, limits: TradingLimitsValue, act: OfficerAct, origin: RequestOrigin): Promise<ComplianceProfile> {
    const { db, clock, audit, access, compliance } = this.deps;
    await access.ensureMayActOn(caller, userId, act.organizationId, PERMISSION);
    return transaction(db, async (trx) => {
      const before = await this.lockUser(trx, userId);
      const now = clock.now();
      const replaced = await supersedePendingLimitRequest(trx, userId, now);
      if (withinLevelDefaults(limits, before?.kyc_level ?? 0)) {
        await this.apply(trx, userId, before, limits, now);
        await audit.record(trx, {
          actorUserId: caller.userId,
          action: "compliance.limits_update",
          resourceType: "user",
          resourceId: userId,
          organizationId: act.organizationId,
          oldValues: { tradingLimits: { ...limitsInForce(before) } },
          newValues: { tradingLimits: { ...limits }, ...(replaced && { replacedRequestId: replaced }) },
          reason: act.reason,
          origin,
          complianceRelevant: true,
        });
      } else {
        const request = await insertLimitRequest(trx, {
          user_id: userId,
          daily_limit: limits.dailyLimit,
          position_size_limit: limits.positionSizeLimit,
          currency: limits.currency,
          reason: act.reason,
          requested_by: caller.userId,
          requested_at: now,
        });
        await audit.record(trx, {
          actorUserId: caller.userId,
          action: "compliance.limits_requested",
          resourceType: "user",
          resourceId: userId,
          organizationId: act.organizationId,
          oldValues: { tradingLimits: { ...limitsInForce(before) } },
          newValues: { tradingLimits: { ...limits }, requestId: request.id, ...(replaced && { replacedRequestId: replaced }) },
          reason: act.reason,
          origin,
          complianceRelevant: true,
        });
      }
      return compliance.read(trx, userId);
    });
  }

  /** approve puts a waiting request into effect, for an officer other than the one who asked. */
  approve(caller: Principal, requestId: string, act: OfficerAct, origin: RequestOrigin): Promise<ComplianceProfile> {
    return this.decide(caller, requestId, "approved", act, origin);
  }

  /** reject turns a waiting request down; the asking officer may withdraw their own. */
  reject(caller: Principal, requestId: string, act: OfficerAct, origin: RequestOrigin): Promise<ComplianceProfile> {
    return this.decide(caller, requestId, "rejected", act, origin);
  }

  private async decide(caller: Principal, requestId: string, status: "approved" | "rejected", act: OfficerAct, origin: RequestOrigin): Promise<ComplianceProfile> {
    const { db, clock, audit, access, compliance } = this.deps;
    const userId = (await findLimitRequest(db, requestId))?.user_id;
    if (!userId) throw errors.limitRequestNotFound();
    await access.ensureMayActOn(caller, userId, act.organizationId, PERMISSION).catch((error: unknown) => {
      // A request about someone outside the caller's organization is not theirs to see.
      throw error instanceof DomainError && error.reason === "not_organization_member" ? errors.limitRequestNotFound() : error;
    });
    return transaction(db, async (trx) => {
      const before = await this.lockUser(trx, userId);
      const request = (await lockLimitRequest(trx, requestId))!;
      if (request.status !== "pending") throw errors.limitRequestDecided(request.status);
      if (status === "approved" && request.requested_by === caller.userId) throw errors.ownLimitRequest();
      const now = clock.now();
      const asked = { dailyLimit: request.daily_limit, positionSizeLimit: request.position_size_limit, currency: request.currency };
      await decideLimitRequest(trx, requestId, { status, decidedBy: caller.userId, reason: act.reason, now });
      if (status === "approved") await this.apply(trx, userId, before, asked, now);
      const after = await compliance.read(trx, userId);
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: status === "approved" ? "compliance.limits_update" : "compliance.limits_rejected",
        resourceType: "user",
        resourceId: userId,
        organizationId: act.organizationId,
        oldValues: { tradingLimits: { ...limitsInForce(before) } },
        newValues: { tradingLimits: { ...after.tradingLimits }, requestId, requestedBy: request.requested_by, requestReason: request.reason },
        reason: act.reason,
        origin,
        complianceRelevant: true,
      });
      return after;
    });
  }

  /** lockUser takes the user's row lock (NOT_FOUND for no such user), then their profile's, as every compliance change does. */
  private async lockUser(trx: Tx, userId: string): Promise<ComplianceProfileRow | undefined> {
    if (!(await this.deps.profiles.lockApplicant(trx, userId))) throw errors.userNotFound();
    return lockComplianceProfile(trx, userId);
  }

  private async apply(trx: Tx, userId: string, before: ComplianceProfileRow | undefined, limits: TradingLimitsValue, now: Date): Promise<void> {
    await saveComplianceProfile(trx, {
      user_id: userId,
      daily_limit: limits.dailyLimit,
      position_size_limit: limits.positionSizeLimit,
      limits_currency: limits.currency,
      limits_set_at: now,
      created_at: before?.created_at ?? now,
      updated_at: now,
    });
  }
}
