import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  UserRegistrationRequest_ProfileDetailsSchema as ProfileDetailsSchema,
  UserRegistrationRequest_ProfileDetails_InvestmentProfile as InvestmentProfile,
  UserRegistrationRequest_ProfileDetails_RiskTolerance as RiskTolerance,
  UserRegistrationResponse_VerificationStatus as VerificationStatus,
  type UserRegistrationRequest_ProfileDetails as ProfileDetails,
} from "../../../gen/platform/user/v1/auth_service_pb.js";
import { OrganizationMembershipSchema, UserStatus } from "../../../gen/platform/user/v1/common_pb.js";
import type { GetProfileResponse } from "../../../gen/platform/user/v1/profile_service_pb.js";
import type { InvestmentProfileValue, RiskToleranceValue } from "../../db/tables/users.js";
import type { UserStatusValue, VerificationStatusValue } from "../../shared/user-status.js";
import { twoWayMap } from "../../shared/two-way-map.js";
import { orgRoleToPb } from "../organizations/index.js";
import type { Profile } from "./profile.service.js";

const investmentProfiles = twoWayMap<InvestmentProfile, InvestmentProfileValue>([
  [InvestmentProfile.CONSERVATIVE, "conservative"],
  [InvestmentProfile.MODERATE, "moderate"],
  [InvestmentProfile.AGGRESSIVE, "aggressive"],
]);
const riskTolerances = twoWayMap<RiskTolerance, RiskToleranceValue>([
  [RiskTolerance.LOW, "low"],
  [RiskTolerance.MEDIUM, "medium"],
  [RiskTolerance.HIGH, "high"],
]);
const userStatuses = twoWayMap<UserStatus, UserStatusValue>([
  [UserStatus.ACTIVE, "active"],
  [UserStatus.SUSPENDED, "suspended"],
  [UserStatus.LOCKED, "locked"],
  [UserStatus.DEACTIVATED, "deactivated"],
  [UserStatus.PENDING_VERIFICATION, "pending_verification"],
]);

/** userStatusToPb is the API value of a stored lifecycle status. */
export const userStatusToPb = (status: UserStatusValue) => userStatuses.backward[status];

/** userStatusFromPb reads a declared lifecycle status; validation already refused the unspecified and unknown ones. */
export const userStatusFromPb = (status: UserStatus) => userStatuses.forward[status];
const verificationStatuses: Record<VerificationStatusValue, VerificationStatus> = {
  pending: VerificationStatus.PENDING,
  verified: VerificationStatus.VERIFIED,
  requires_additional_verification: VerificationStatus.REQUIRES_ADDITIONAL_VERIFICATION,
};

/** profileDetailsFromPb reads declared profile details; validation already refused undefined enum values. */
export function profileDetailsFromPb(details: ProfileDetails | undefined): { investmentProfile: InvestmentProfileValue; riskTolerance: RiskToleranceValue } {
  return {
    investmentProfile: investmentProfiles.forward[details?.investmentProfile ?? InvestmentProfile.CONSERVATIVE],
    riskTolerance: riskTolerances.forward[details?.riskTolerance ?? RiskTolerance.LOW],
  };
}

/** verificationStatusToPb is the API value of a stored verification status. */
export const verificationStatusToPb = (status: VerificationStatusValue) => verificationStatuses[status];

/** profileToPb shapes a profile as GetProfileResponse (UpdateProfileResponse has the same fields). */
export function profileToPb(profile: Profile): Omit<GetProfileResponse, "$typeName" | "$unknown"> {
  return {
    userId: profile.userId,
    email: profile.email,
    fullName: profile.fullName,
    status: userStatuses.backward[profile.status],
    verificationStatus: verificationStatuses[profile.verificationStatus],
    profileDetails: create(ProfileDetailsSchema, {
      investmentProfile: investmentProfiles.backward[profile.investmentProfile],
      riskTolerance: riskTolerances.backward[profile.riskTolerance],
    }),
    organizations: profile.organizations.map((o) =>
      create(OrganizationMembershipSchema, { organizationId: o.organizationId, name: o.name, role: orgRoleToPb(o.role) }),
    ),
    createdAt: timestampFromDate(profile.createdAt),
  };
}
