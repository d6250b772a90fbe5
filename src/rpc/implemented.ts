import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { ProfileService } from "../../gen/platform/user/v1/profile_service_pb.js";

/** rpcs pairs a service with some of its RPCs, by their handler names (a typo does not compile). */
const rpcs = <S extends DescService, const M extends readonly (keyof ServiceImpl<S> & string)[]>(service: S, methods: M) => ({ service, methods });

/**
 * IMPLEMENTED lists, per service, the RPCs that have handlers; every other RPC of the contract
 * answers UNIMPLEMENTED. The handlers' types are derived from it (see Handlers), so a handler cannot
 * be added or dropped without this list changing with it, and docs/api.md marks RPCs from it.
 */
export const IMPLEMENTED = {
  auth: rpcs(AuthService, ["register", "login", "refreshToken", "logout"]),
  profile: rpcs(ProfileService, ["getProfile", "updateProfile"]),
};

/** Handlers are the handlers of exactly the RPCs IMPLEMENTED lists for one service. */
export type Handlers<K extends keyof typeof IMPLEMENTED> =
  (typeof IMPLEMENTED)[K] extends { service: infer S extends DescService; methods: readonly (infer M)[] }
    ? Pick<ServiceImpl<S>, M & keyof ServiceImpl<S>>
    : never;

/** implementedRpcs names the RPCs IMPLEMENTED lists as `package.Service/Method`, as gRPC paths do. */
export function implementedRpcs(): string[] {
  return Object.values(IMPLEMENTED).flatMap(({ service, methods }) =>
    service.methods.filter((m) => (methods as readonly string[]).includes(m.localName)).map((m) => `${service.typeName}/${m.name}`),
  );
}
