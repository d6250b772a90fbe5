import { clone } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { UserPreferencesSchema, type PreferencesService as PreferencesApi } from "../../../gen/platform/user/v1/preferences_service_pb.js";
import { originKey, principalKey, requirePrincipal } from "../../rpc/context.js";
import { applyMask, checkMaskPaths, preferencesFromPb, preferencesToPb } from "./preferences.convert.js";
import type { Preferences } from "./preferences.service.js";

/** preferencesRpc adapts Preferences to the PreferencesService RPCs. */
export function preferencesRpc(preferences: Preferences): Partial<ServiceImpl<typeof PreferencesApi>> {
  return {
    async getPreferences(_req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      return { preferences: preferencesToPb(await preferences.get(caller.userId)) };
    },
    async updatePreferences(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const given = req.preferences!; // required by validation
      const paths = req.updateMask?.paths ?? [];
      checkMaskPaths(paths);
      const updated = await preferences.update(
        caller.userId,
        (current) => {
          // No mask: the message given replaces the preferences whole.
          if (paths.length === 0) return preferencesFromPb(given);
          const merged = clone(UserPreferencesSchema, preferencesToPb(current));
          applyMask(merged, given, paths);
          return preferencesFromPb(merged);
        },
        ctx.values.get(originKey),
      );
      return { preferences: preferencesToPb(updated) };
    },
  };
}
