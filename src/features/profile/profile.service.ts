import type { Db, Tx } from "../../db/database.js";
import type { InvestmentProfileValue, RiskToleranceValue } from "../../db/tables/users.js";
import { afterCommit, transaction } from "../../db/transaction.js";
import { queueRiskScoring } from "../../jobs/outbox.js";
import type { Cache } from "../../platform/cache.js";
import type { Clock } from "../../platform/clock.js";
import { DomainError } from "../../shared/domain-error.js";
import { normalizeEmail } from "../../shared/email.js";
import { pageOf, readPageToken } from "../../shared/page-token.js";
import { characterCount } from "../../shared/human-name.js";
import type { RegistrationTypeValue } from "../../shared/identity-providers.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { UserStatusValue, VerificationStatusValue } from "../../shared/user-status.js";
import type { AuditLog } from "../audit/index.js";
import type { ProfileMembership } from "../organizations/index.js";
import {
  findAccountByEmail,
  findApplicant,
  findUser,
  findUserForUpdate,
  findUserNames,
  findUsers,
  insertUser,
  lockAccountStatus,
  lockApplicant,
  updateAccountStatus,
  updateUser,
  updateVerificationStatus,
  type NewUser,
  type UserChanges,
  type UserFilter,
} from "./profile.repository.js";

/** Profile is a user's profile as the service hands it out. */
export interface Profile {
  userId: string;
  email: string;
  fullName: string;
  status: UserStatusValue;
  verificationStatus: VerificationStatusValue;
  investmentProfile: InvestmentProfileValue;
  riskTolerance: RiskToleranceValue;
  /** The organizations the user belongs to, in the order they joined, with their role in each. */
  organizations: ProfileMembership[];
  createdAt: Date;
}

/** UserSummary is an account as operators list it. */
export interface UserSummary {
  userId: string;
  email: string;
  fullName: string;
  status: UserStatusValue;
  createdAt: Date;
}

type CachedProfile = Omit<Profile, "createdAt"> & { createdAt: string };

const cacheKey = (userId: string) => `profile:v2:${userId}`;
/** A user's profile generation: every change to what the profile shows starts a new one (forget). */
const generationKey = (userId: string) => `profile-generation:v1:${userId}`;

/** FULL_NAME_MAX_CHARS is full_name's max_len in the API and the bound of the users_full_name_length check. */
const FULL_NAME_MAX_CHARS = 200;

/**
 * refuseOverlongFullName guards the column: the API counts the name as sent, and normalising it to
 * NFC can make it longer (normalizeHumanName), which the database would refuse as a fault.
 */
function refuseOverlongFullName(fullName: string | undefined): void {
  if (fullName !== undefined && characterCount(fullName) > FULL_NAME_MAX_CHARS) {
    throw new DomainError("invalid_argument", "full_name_too_long", `full_name: must be at most ${FULL_NAME_MAX_CHARS} characters in Unicode NFC`);
  }
}

/** AccountHolder is a user as identity verification sees them. */
export interface AccountHolder {
  userId: string;
  email: string;
  fullName: string;
  registrationType: RegistrationTypeValue;
  status: UserStatusValue;
  verificationStatus: VerificationStatusValue;
}

/** ProfileService reads profiles through a cache and changes them with an audit record. */
export class ProfileService {
  constructor(
    private readonly db: Db,
    private readonly cache: Cache,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly cacheTtlSeconds: number,
    private readonly memberships: { of(userId: string): Promise<ProfileMembership[]> },
  ) {}

  /** createUser inserts a new user inside the caller's transaction (used by registration). */
  async createUser(trx: Tx, user: NewUser): Promise<string> {
    refuseOverlongFullName(user.fullName);
    return insertUser(trx, user);
  }

  /**
   * get returns a user's profile, from the cache when it holds one of the profile's current
   * generation. A copy read before a change committed carries the generation before it, so it is
   * never served after forget, however the two interleave.
   */
  async get(userId: string): Promise<Profile> {
    const { generation, value } = await this.cache.getCurrent(generationKey(userId), cacheKey(userId));
    if (value) {
      const profile = JSON.parse(value) as CachedProfile;
      return { ...profile, createdAt: new Date(profile.createdAt) };
    }
    const [row, organizations] = await Promise.all([findUser(this.db, userId), this.memberships.of(userId)]);
    if (!row) throw new DomainError("not_found", "user_not_found", "user not found");
    const profile = toProfile(row, organizations);
    await this.cache.put(cacheKey(userId), JSON.stringify(profile), generation, this.cacheTtlSeconds);
    return profile;
  }

  /** idOf finds the user with this e-mail address (normalised); undefined when there is none. */
  async idOf(email: string): Promise<string | undefined> {
    return (await findAccountByEmail(this.db, normalizeEmail(email)))?.userId;
  }

  /** describe finds the e-mail addresses and names of the users with these ids; ids with no user are left out. */
  async describe(userIds: readonly string[]): Promise<Map<string, { email: string; fullName: string }>> {
    const rows = userIds.length === 0 ? [] : await findUserNames(this.db, userIds);
    return new Map(rows.map((row) => [row.id, { email: row.email, fullName: row.full_name }]));
  }

  /** update applies the changes present, records old and new values, and evicts the cached copy once committed. */
  async update(userId: string, changes: UserChanges, origin: RequestOrigin): Promise<Profile> {
    refuseOverlongFullName(changes.fullName);
    await transaction(this.db, async (trx) => {
      const before = await findUserForUpdate(trx, userId);
      if (!before) throw new DomainError("not_found", "user_not_found", "user not found");
      const oldValues: Record<string, string> = {};
      const newValues: Record<string, string> = {};
      const compare = (field: string, previous: string, next: string | undefined) => {
        if (next !== undefined && next !== previous) {
          oldValues[field] = previous;
          newValues[field] = next;
        }
      };
      compare("fullName", before.full_name, changes.fullName);
      compare("investmentProfile", before.investment_profile, changes.investmentProfile);
      compare("riskTolerance", before.risk_tolerance, changes.riskTolerance);
      if (Object.keys(newValues).length === 0) return;
      await updateUser(trx, userId, changes, this.clock.now());
      afterCommit(trx, () => this.forget(userId));
      await queueRiskScoring(trx, userId);
      await this.audit.record(trx, {
        actorUserId: userId,
        action: "profile.update",
        resourceType: "user",
        resourceId: userId,
        oldValues,
        newValues,
        origin,
      });
    });
    return this.get(userId);
  }

  /** list pages through the users the filter keeps, newest first. */
  async list(filter: UserFilter, limit: number, pageToken: string): Promise<{ users: UserSummary[]; nextPageToken: string }> {
    const rows = await findUsers(this.db, { ...filter, emailPrefix: filter.emailPrefix?.toLowerCase() }, limit + 1, pageToken ? readPageToken(pageToken) : undefined);
    const { page, nextPageToken } = pageOf(rows, limit, (row) => ({ at: row.created_at, id: row.id }));
    return { users: page.map((row) => ({ userId: row.id, email: row.email, fullName: row.full_name, status: row.status, createdAt: row.created_at })), nextPageToken };
  }

  /** lockStatus reads the user's status inside trx and locks the user until it ends; undefined for no such user. */
  lockStatus(trx: Tx, userId: string): Promise<UserStatusValue | undefined> {
    return lockAccountStatus(trx, userId);
  }

  /** setStatus changes the user's status inside trx (lockedUntil: when a lock ends) and retires the cached profile once committed. */
  async setStatus(trx: Tx, userId: string, status: UserStatusValue, lockedUntil: Date | null): Promise<void> {
    await updateAccountStatus(trx, userId, status, lockedUntil, this.clock.now());
    afterCommit(trx, () => this.forget(userId));
  }

  /** applicant reads what identity verification judges the user by; undefined for no such user. */
  async applicant(userId: string): Promise<AccountHolder | undefined> {
    return toAccountHolder(await findApplicant(this.db, userId));
  }

  /** lockApplicant reads what identity verification judges the user by, and locks the user until trx ends; undefined for no such user. */
  async lockApplicant(trx: Tx, userId: string): Promise<AccountHolder | undefined> {
    return toAccountHolder(await lockApplicant(trx, userId));
  }

  /** setVerificationStatus records the outcome of the user's identity verification inside trx and retires the cached profile once committed. */
  async setVerificationStatus(trx: Tx, userId: string, status: VerificationStatusValue): Promise<void> {
    await updateVerificationStatus(trx, userId, status, this.clock.now());
    afterCommit(trx, () => this.forget(userId));
  }

  /** forget retires the cached profile; every change to what a profile shows registers it with afterCommit. */
  forget(userId: string): Promise<void> {
    return this.cache.bump(generationKey(userId));
  }
}

function toAccountHolder(row: Awaited<ReturnType<typeof findApplicant>>): AccountHolder | undefined {
  if (!row) return undefined;
  return { userId: row.id, email: row.email, fullName: row.full_name, registrationType: row.registration_type, status: row.status, verificationStatus: row.verification_status };
}

function toProfile(row: NonNullable<Awaited<ReturnType<typeof findUser>>>, organizations: ProfileMembership[]): Profile {
  return {
    userId: row.id,
    email: row.email,
    fullName: row.full_name,
    status: row.status,
    verificationStatus: row.verification_status,
    investmentProfile: row.investment_profile,
    riskTolerance: row.risk_tolerance,
    organizations,
    createdAt: row.created_at,
  };
}
