import type { ServiceImpl } from "@connectrpc/connect";
import type { ProfileService as ProfileApi } from "../../../gen/platform/user/v1/profile_service_pb.js";
import { originKey, principalKey, requirePrincipal } from "../../rpc/context.js";
import { normalizeHumanName } from "../../shared/human-name.js";
import { profileDetailsFromPb, profileToPb } from "./profile.convert.js";
import type { ProfileService } from "./profile.service.js";

/** profileRpc adapts ProfileService to the ProfileService RPCs. */
export function profileRpc(profiles: ProfileService): Partial<ServiceImpl<typeof ProfileApi>> {
  return {
    async getProfile(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      return profileToPb(await profiles.get(req.userId || caller.userId));
    },
    async updateProfile(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const details = req.profileDetails ? profileDetailsFromPb(req.profileDetails) : {};
      const updated = await profiles.update(caller.userId, { fullName: req.fullName === undefined ? undefined : normalizeHumanName(req.fullName), ...details }, ctx.values.get(originKey));
      return profileToPb(updated);
    },
  };
}
