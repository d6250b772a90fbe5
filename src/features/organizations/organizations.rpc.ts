import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { OrganizationService as OrganizationApi } from "../../../gen/platform/user/v1/organization_service_pb.js";
import { originKey, principalKey, requirePrincipal } from "../../rpc/context.js";
import { normalizeHumanName } from "../../shared/human-name.js";
import type { Invitations } from "./invitations.service.js";
import { departmentFromPb, memberRequestToPb, memberToPb, organizationToPb, organizationTypeFromPb, orgRoleFromPb, subscriptionTierFromPb } from "./organizations.convert.js";
import type { Organizations } from "./organizations.service.js";

/** DEFAULT_PAGE_SIZE is the page size of the lists when the request leaves limit at 0. */
const DEFAULT_PAGE_SIZE = 50;

/** organizationsRpc adapts Organizations and Invitations to the OrganizationService RPCs. */
export function organizationsRpc(organizations: Organizations, invitations: Invitations): Partial<ServiceImpl<typeof OrganizationApi>> {
  return {
    async createOrganization(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const organization = await organizations.create(
        caller,
        {
          name: req.name,
          displayName: normalizeHumanName(req.displayName),
          organizationType: organizationTypeFromPb(req.organizationType),
          subscriptionTier: subscriptionTierFromPb(req.subscriptionTier),
          requiresApproval: req.requiresApproval,
        },
        ctx.values.get(originKey),
      );
      return { organization: organizationToPb(organization) };
    },
    async listOrganizations(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const page = await organizations.listOf(caller.userId, req.limit || DEFAULT_PAGE_SIZE, req.pageToken);
      return { organizations: page.organizations.map(organizationToPb), nextPageToken: page.nextPageToken };
    },
    async getOrganization(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      return { organization: organizationToPb(await organizations.get(caller, req.organizationId)) };
    },
    async listMembers(req) {
      const page = await organizations.listMembers(req.organizationId, req.limit || DEFAULT_PAGE_SIZE, req.pageToken);
      return { members: page.members.map(memberToPb), nextPageToken: page.nextPageToken };
    },
    async updateMember(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const { member, pendingRequestId } = await organizations.updateMember(
        caller,
        req.organizationId,
        req.userId,
        {
          role: req.role === undefined ? undefined : orgRoleFromPb(req.role),
          department: req.department === undefined ? undefined : departmentFromPb(req.department),
          managerUserId: req.managerUserId === undefined ? undefined : req.managerUserId || null,
        },
        ctx.values.get(originKey),
      );
      return { member: memberToPb(member), pendingRequestId: pendingRequestId ?? "" };
    },
    async inviteMember(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const invitation = await invitations.invite(
        caller,
        req.organizationId,
        { email: req.email, role: orgRoleFromPb(req.role), department: departmentFromPb(req.department), managerUserId: req.managerUserId || null },
        ctx.values.get(originKey),
      );
      return { invitationId: invitation.invitationId, invitationToken: invitation.token, expiresAt: timestampFromDate(invitation.expiresAt) };
    },
    async acceptInvitation(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const acceptance = await invitations.accept(caller.userId, req.invitationToken, ctx.values.get(originKey));
      return { organization: organizationToPb(await organizations.get(caller, acceptance.organizationId)), pendingRequestId: acceptance.pendingRequestId ?? "" };
    },
    async listMemberRequests(req) {
      const page = await invitations.listRequests(req.organizationId, req.limit || DEFAULT_PAGE_SIZE, req.pageToken);
      return { requests: page.requests.map(memberRequestToPb), nextPageToken: page.nextPageToken };
    },
    async approveMemberRequest(req, ctx) {
      const member = await invitations.approve(requirePrincipal(ctx.values.get(principalKey)), req.organizationId, req.requestId, ctx.values.get(originKey));
      return { member: memberToPb(member) };
    },
    async rejectMemberRequest(req, ctx) {
      await invitations.reject(requirePrincipal(ctx.values.get(principalKey)), req.organizationId, req.requestId, req.reason, ctx.values.get(originKey));
      return {};
    },
    async removeMember(req, ctx) {
      await organizations.removeMember(requirePrincipal(ctx.values.get(principalKey)), req.organizationId, req.userId, ctx.values.get(originKey));
      return {};
    },
  };
}
