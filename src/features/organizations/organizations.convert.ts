import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { OrgRole } from "../../../gen/platform/user/v1/common_pb.js";
import {
  MemberRequestKind,
  OrganizationType,
  SubscriptionTier,
  type MemberRequestSchema,
  type MemberSchema,
  type OrganizationSchema,
} from "../../../gen/platform/user/v1/organization_service_pb.js";
import type { DepartmentValue, MemberRequestKindValue, OrganizationTypeValue, SubscriptionTierValue } from "../../db/tables/organizations.js";
import { twoWayMap } from "../../shared/two-way-map.js";
import type { OrganizationRole } from "../authorization/index.js";
import type { MemberRequestView } from "./invitations.service.js";
import type { MemberView, OrganizationView } from "./organizations.service.js";

const organizationTypes = twoWayMap<OrganizationType, OrganizationTypeValue>([
  [OrganizationType.CORPORATE, "corporate"],
  [OrganizationType.HEDGE_FUND, "hedge_fund"],
  [OrganizationType.ASSET_MANAGER, "asset_manager"],
  [OrganizationType.FAMILY_OFFICE, "family_office"],
  [OrganizationType.BROKER_DEALER, "broker_dealer"],
  [OrganizationType.OTHER, "other"],
  [OrganizationType.TRADING_FIRM, "trading_firm"],
]);
const subscriptionTiers = twoWayMap<SubscriptionTier, SubscriptionTierValue>([
  [SubscriptionTier.FREE, "free"],
  [SubscriptionTier.PROFESSIONAL, "professional"],
  [SubscriptionTier.ENTERPRISE, "enterprise"],
]);
const orgRoles = twoWayMap<OrgRole, OrganizationRole>([
  [OrgRole.ADMIN, "admin"],
  [OrgRole.MANAGER, "manager"],
  [OrgRole.TRADER, "trader"],
  [OrgRole.VIEWER, "viewer"],
  [OrgRole.COMPLIANCE, "compliance"],
]);

/** organizationTypeFromPb reads a declared organization type; validation already refused the unspecified and unknown ones. */
export const organizationTypeFromPb = (type: OrganizationType) => organizationTypes.forward[type];

/** subscriptionTierFromPb reads a declared subscription tier; validation already refused the unspecified and unknown ones. */
export const subscriptionTierFromPb = (tier: SubscriptionTier) => subscriptionTiers.forward[tier];

/** orgRoleFromPb reads a declared organization role; validation already refused the unspecified and unknown ones. */
export const orgRoleFromPb = (role: OrgRole) => orgRoles.forward[role];

/** orgRoleToPb is the API value of a stored organization role. */
export const orgRoleToPb = (role: OrganizationRole) => orgRoles.backward[role];

/** departmentFromPb reads a department field: validation allows only the known ones, and empty means none. */
export const departmentFromPb = (department: string) => (department === "" ? null : (department as DepartmentValue));

/** organizationToPb shapes an organization as the API shows it. */
export function organizationToPb(organization: OrganizationView): MessageInitShape<typeof OrganizationSchema> {
  return {
    organizationId: organization.id,
    name: organization.name,
    displayName: organization.displayName,
    organizationType: organizationTypes.backward[organization.organizationType],
    subscriptionTier: subscriptionTiers.backward[organization.subscriptionTier],
    requiresApproval: organization.requiresApproval,
    memberCount: organization.memberCount,
    callerRole: organization.callerRole ? orgRoles.backward[organization.callerRole] : OrgRole.UNSPECIFIED,
    createdAt: timestampFromDate(organization.createdAt),
  };
}

/** memberToPb shapes a membership as the API shows it. */
export function memberToPb(member: MemberView): MessageInitShape<typeof MemberSchema> {
  return {
    userId: member.userId,
    email: member.email,
    fullName: member.fullName,
    role: orgRoles.backward[member.role],
    department: member.department ?? "",
    managerUserId: member.managerUserId ?? "",
    joinedAt: timestampFromDate(member.joinedAt),
  };
}

const requestKinds: Record<MemberRequestKindValue, MemberRequestKind> = {
  join: MemberRequestKind.JOIN,
  role_grant: MemberRequestKind.ROLE_GRANT,
};

/** memberRequestToPb shapes a pending member request as the API shows it. */
export function memberRequestToPb(request: MemberRequestView): MessageInitShape<typeof MemberRequestSchema> {
  return {
    requestId: request.id,
    kind: requestKinds[request.kind],
    userId: request.userId,
    email: request.email,
    fullName: request.fullName,
    role: orgRoles.backward[request.role],
    department: request.department ?? "",
    managerUserId: request.managerUserId ?? "",
    requestedByUserId: request.requestedBy ?? "",
    createdAt: timestampFromDate(request.createdAt),
  };
}
