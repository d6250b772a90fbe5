import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { UserStatus } from "../../../gen/platform/user/v1/common_pb.js";
import type { StatusChangeSchema, UserLifecycleService as UserLifecycleApi } from "../../../gen/platform/user/v1/user_lifecycle_service_pb.js";
import { originKey, principalKey, requirePrincipal } from "../../rpc/context.js";
import { userStatusFromPb, userStatusToPb } from "../profile/index.js";
import type { StatusChangeRow } from "./lifecycle.repository.js";
import type { UserLifecycle } from "./lifecycle.service.js";

/** DEFAULT_PAGE_SIZE is the lists' page size when the request leaves limit at 0. */
const DEFAULT_PAGE_SIZE = 50;

function statusChangeToPb(change: StatusChangeRow): MessageInitShape<typeof StatusChangeSchema> {
  return {
    id: change.id,
    userId: change.user_id,
    previousStatus: change.previous_status ? userStatusToPb(change.previous_status) : UserStatus.UNSPECIFIED,
    newStatus: userStatusToPb(change.new_status),
    reason: change.reason,
    changedByUserId: change.changed_by ?? "",
    createdAt: timestampFromDate(change.created_at),
    ...(change.locked_until && { lockedUntil: timestampFromDate(change.locked_until) }),
  };
}

/** lifecycleRpc adapts UserLifecycle to the status RPCs of UserLifecycleService. */
export function lifecycleRpc(lifecycle: UserLifecycle): Partial<ServiceImpl<typeof UserLifecycleApi>> {
  return {
    async updateUserStatus(req, ctx) {
      const change = await lifecycle.updateStatus(
        requirePrincipal(ctx.values.get(principalKey)),
        {
          userId: req.userId,
          newStatus: userStatusFromPb(req.newStatus),
          reason: req.reason,
          organizationId: req.organizationId || undefined,
          lockedUntil: req.lockedUntil ? timestampDate(req.lockedUntil) : undefined,
        },
        ctx.values.get(originKey),
      );
      return { statusChange: statusChangeToPb(change) };
    },
    async listUsers(req) {
      const page = await lifecycle.listUsers(
        { status: req.status === undefined ? undefined : userStatusFromPb(req.status), emailPrefix: req.emailPrefix || undefined, organizationId: req.organizationId || undefined },
        req.limit || DEFAULT_PAGE_SIZE,
        req.pageToken,
      );
      return {
        users: page.users.map((user) => ({ userId: user.userId, email: user.email, fullName: user.fullName, status: userStatusToPb(user.status), createdAt: timestampFromDate(user.createdAt) })),
        nextPageToken: page.nextPageToken,
      };
    },
    async listStatusHistory(req) {
      const page = await lifecycle.history(req.userId, req.limit || DEFAULT_PAGE_SIZE, req.pageToken);
      return { statusChanges: page.changes.map(statusChangeToPb), nextPageToken: page.nextPageToken };
    },
  };
}
