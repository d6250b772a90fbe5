export { NameScreening, parsePepList, ScreeningListError, type ScreeningResult } from "./screening.js";
export { parseOfacList, type ListedParty } from "./sanctions-list.js";
export { nameSimilarity, nameTokens, listedName } from "./name-matching.js";
export { NameIndex, type NameMatch } from "./name-index.js";
export { RuleVerification, VERIFICATION_REASONS, type Applicant, type VerificationDecision, type VerificationProvider, type VerificationReason } from "./verification.js";
export { IdentityVerification, type VerificationOutcome } from "./identity-verification.js";
export { ComplianceProfiles, type ComplianceProfile } from "./compliance.service.js";
export { complianceRpc } from "./compliance.rpc.js";
export { complianceJobs } from "./compliance.jobs.js";
