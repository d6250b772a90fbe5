import type { ServiceImpl } from "@connectrpc/connect";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ActivityService as ActivityApi } from "../../../gen/platform/user/v1/activity_service_pb.js";
import { principalKey, requirePrincipal } from "../../rpc/context.js";
import { activityToPb, activityTypeFromPb, activityTypeToPb, dayToPb } from "./activity.convert.js";
import type { UserActivity } from "./activity.service.js";

/** DEFAULT_PAGE_SIZE is the page size of ListActivity when the request leaves limit at 0. */
const DEFAULT_PAGE_SIZE = 50;

/** activityRpc adapts UserActivity to the ActivityService RPCs. */
export function activityRpc(activity: UserActivity): Partial<ServiceImpl<typeof ActivityApi>> {
  return {
    async listActivity(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const page = await activity.list(
        caller,
        {
          userId: req.userId || caller.userId,
          organizationId: req.organizationId || undefined,
          activityType: activityTypeFromPb(req.activityType),
          createdAfter: req.createdAfter && timestampDate(req.createdAfter),
          createdBefore: req.createdBefore && timestampDate(req.createdBefore),
        },
        req.limit || DEFAULT_PAGE_SIZE,
        req.pageToken,
      );
      return { activities: page.activities.map(activityToPb), nextPageToken: page.nextPageToken };
    },
    async getUserMetrics(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const metrics = await activity.metrics(caller, req.userId || caller.userId, req.organizationId || undefined, req.days);
      const sum = (figure: (day: (typeof metrics.daily)[number]) => number) => metrics.daily.reduce((total, day) => total + figure(day), 0);
      return {
        userId: metrics.userId,
        days: metrics.days,
        windowStart: timestampFromDate(metrics.windowStart),
        loginCount: sum((day) => day.loginCount),
        failedLoginCount: sum((day) => day.failedLoginCount),
        activeDays: metrics.activeDays,
        sessionCount: sum((day) => day.sessionCount),
        distinctIpCount: metrics.distinctIpCount,
        ...(metrics.lastLoginAt && { lastLoginAt: timestampFromDate(metrics.lastLoginAt) }),
        activityCounts: metrics.activityCounts.map(({ activityType, count }) => ({ activityType: activityTypeToPb(activityType), count })),
        daily: metrics.daily.map(dayToPb),
      };
    },
  };
}
