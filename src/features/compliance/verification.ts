import { isDisposableEmail, isReservedEmailDomain } from "../../platform/disposable-email.js";
import type { RegistrationTypeValue } from "../../shared/identity-providers.js";
import type { NameScreening } from "./screening.js";

/** Applicant is what identity verification judges a new user by. */
export interface Applicant {
  userId: string;
  email: string;
  fullName: string;
  registrationType: RegistrationTypeValue;
  /** The identity provider (its issuer) whose id_token vouched for the e-mail address (email_verified); undefined for a password sign-up. */
  emailVouchedBy: string | undefined;
}

/** ScreeningHit is one listed name a user's name matched, as a compliance officer reviews it. */
export interface ScreeningHit {
  list: "sanctions" | "pep";
  /** The list's id of the entry (OFAC's ent_num), for sanctions. */
  entryId?: string;
  listedName: string;
  matchedName: string;
  programs?: string[];
  score: number;
}

/** Screening is the outcome of screening a name: each list's status and what matched. */
export interface Screening {
  sanctions: "clear" | "potential_match" | "not_checked";
  pep: "not_pep" | "pep" | "not_checked";
  hits: ScreeningHit[];
}

/** VERIFICATION_REASONS are why verification asks for more than it could check itself. */
export const VERIFICATION_REASONS = [
  "disposable_email",
  "email_domain_reserved",
  "email_not_vouched",
  "sanctions_potential_match",
  "pep_potential_match",
  "not_screened",
] as const;

/** VerificationReason is one of VERIFICATION_REASONS. */
export type VerificationReason = (typeof VERIFICATION_REASONS)[number];

/** VerificationDecision is a provider's answer: verified, or the reasons more is needed; with the screening behind it. */
export interface VerificationDecision {
  verified: boolean;
  reasons: VerificationReason[];
  screening: Screening;
}

/**
 * VerificationProvider decides whether a new user's identity is verified. The built-in provider is
 * RuleVerification; a KYC vendor plugs in by implementing this, keyed by its name in the profile.
 */
export interface VerificationProvider {
  readonly name: string;
  verify(applicant: Applicant): Promise<VerificationDecision>;
}

/** screenName screens a full name against the lists; without lists nothing is checked. */
export function screenName(screening: NameScreening | undefined, fullName: string): Screening {
  if (!screening) return { sanctions: "not_checked", pep: "not_checked", hits: [] };
  const result = screening.screen(fullName);
  const hits: ScreeningHit[] = [
    ...result.sanctions.map((match) => ({
      list: "sanctions" as const,
      entryId: match.entry.id,
      listedName: match.entry.name,
      matchedName: match.matchedName,
      programs: match.entry.programs,
      score: Math.round(match.score * 1000) / 1000,
    })),
    ...result.pep.map((match) => ({ list: "pep" as const, listedName: match.entry.name, matchedName: match.matchedName, score: Math.round(match.score * 1000) / 1000 })),
  ];
  return { sanctions: result.sanctions.length ? "potential_match" : "clear", pep: result.pep.length ? "pep" : "not_pep", hits };
}

/**
 * RuleVerification is the built-in provider: the e-mail address must reach its owner (no
 * throwaway or reserved domain; a federated sign-up's provider vouched for it with email_verified),
 * and the full name must match no sanctions or PEP list. It fails closed: a service with no
 * sanctions list configured verifies nobody (reason not_screened).
 */
export class RuleVerification implements VerificationProvider {
  readonly name = "rules";

  constructor(private readonly screening: NameScreening | undefined) {}

  async verify(applicant: Applicant): Promise<VerificationDecision> {
    const reasons: VerificationReason[] = [];
    if (isDisposableEmail(applicant.email)) reasons.push("disposable_email");
    if (isReservedEmailDomain(applicant.email)) reasons.push("email_domain_reserved");
    if (applicant.registrationType !== "email" && !applicant.emailVouchedBy) reasons.push("email_not_vouched");
    const screening = screenName(this.screening, applicant.fullName);
    if (screening.sanctions === "not_checked") reasons.push("not_screened");
    if (screening.sanctions === "potential_match") reasons.push("sanctions_potential_match");
    if (screening.pep === "pep") reasons.push("pep_potential_match");
    return { verified: reasons.length === 0, reasons, screening };
  }
}
