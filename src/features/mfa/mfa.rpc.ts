import type { ServiceImpl } from "@connectrpc/connect";
import type { MfaService as MfaApi } from "../../../gen/platform/user/v1/mfa_service_pb.js";
import { originKey, principalKey, requirePrincipal } from "../../rpc/context.js";
import { enrolledKindFromPb, methodToPb } from "./mfa.convert.js";
import type { Mfa } from "./mfa.service.js";

/** mfaRpc adapts Mfa to the MfaService RPCs. */
export function mfaRpc(mfa: Mfa): Partial<ServiceImpl<typeof MfaApi>> {
  return {
    async setupMfa(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      if (enrolledKindFromPb(req.mfaType) === "sms") return mfa.setupSms(caller, req.phoneNumber, ctx.values.get(originKey));
      const enrolment = await mfa.setupTotp(caller, ctx.values.get(originKey));
      return { methodId: enrolment.methodId, secret: enrolment.secret, otpauthUri: enrolment.otpauthUri, qrCodePng: enrolment.qrCodePng };
    },
    async verifyMfa(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      return mfa.verify(caller, enrolledKindFromPb(req.mfaType), req.code, ctx.values.get(originKey));
    },
    async listMfaMethods(_req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      return { methods: (await mfa.list(caller.userId)).map(methodToPb) };
    },
    async removeMfaMethod(req, ctx) {
      await mfa.remove(requirePrincipal(ctx.values.get(principalKey)), req.methodId, ctx.values.get(originKey));
      return {};
    },
    async regenerateBackupCodes(_req, ctx) {
      return { backupCodes: await mfa.regenerateBackupCodes(requirePrincipal(ctx.values.get(principalKey)), ctx.values.get(originKey)) };
    },
  };
}
