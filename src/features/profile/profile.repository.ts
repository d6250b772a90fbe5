import type { DbOrTx, Tx } from "../../db/database.js";
import type { InvestmentProfileValue, RegistrationTypeValue, RiskToleranceValue, UserStatusValue, VerificationStatusValue } from "../../db/tables/users.js";

export interface NewUser {
  email: string;
  fullName: string;
  status: UserStatusValue;
  verificationStatus: VerificationStatusValue;
  registrationType: RegistrationTypeValue;
  investmentProfile: InvestmentProfileValue;
  riskTolerance: RiskToleranceValue;
  createdAt: Date;
}

export async function insertUser(trx: Tx, user: NewUser): Promise<string> {
  const row = await trx
    .insertInto("users")
    .values({
      email: user.email,
      full_name: user.fullName,
      status: user.status,
      verification_status: user.verificationStatus,
      registration_type: user.registrationType,
      investment_profile: user.investmentProfile,
      risk_tolerance: user.riskTolerance,
      created_at: user.createdAt,
      updated_at: user.createdAt,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

const profileColumns = [
  "id",
  "email",
  "full_name",
  "status",
  "verification_status",
  "investment_profile",
  "risk_tolerance",
  "created_at",
  "updated_at",
] as const;

export function findUser(db: DbOrTx, userId: string) {
  return db.selectFrom("users").select(profileColumns).where("id", "=", userId).executeTakeFirst();
}

/** findUserForUpdate reads and row-locks a user, so concurrent updates audit the right old values. */
export function findUserForUpdate(trx: Tx, userId: string) {
  return trx.selectFrom("users").select(profileColumns).where("id", "=", userId).forUpdate().executeTakeFirst();
}

export interface UserChanges {
  fullName?: string;
  investmentProfile?: InvestmentProfileValue;
  riskTolerance?: RiskToleranceValue;
}

export async function updateUser(trx: Tx, userId: string, changes: UserChanges, now: Date): Promise<void> {
  await trx
    .updateTable("users")
    .set({
      ...(changes.fullName !== undefined && { full_name: changes.fullName }),
      ...(changes.investmentProfile !== undefined && { investment_profile: changes.investmentProfile }),
      ...(changes.riskTolerance !== undefined && { risk_tolerance: changes.riskTolerance }),
      updated_at: now,
    })
    .where("id", "=", userId)
    .execute();
}
