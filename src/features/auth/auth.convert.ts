import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  UserRegistrationRequest_RegistrationType as RegistrationType,
  type MfaChallengeSchema,
  type UserRegistrationRequest,
} from "../../../gen/platform/user/v1/auth_service_pb.js";
import { IdentityProvider, MfaType, type AuthTokensSchema, type DeviceContext } from "../../../gen/platform/user/v1/common_pb.js";
import { normalizeHumanName } from "../../shared/human-name.js";
import { twoWayMap } from "../../shared/two-way-map.js";
import type { IdentityProviderName, RegistrationTypeValue } from "../../shared/identity-providers.js";
import { profileDetailsFromPb } from "../profile/index.js";
import type { ClientDevice, IssuedTokens } from "../sessions/index.js";
import type { Registration } from "./auth.service.js";
import type { SecondFactorChallenge, SecondFactorMethod } from "./second-factor.js";

const registrationTypes: Record<RegistrationType, RegistrationTypeValue> = {
  [RegistrationType.EMAIL]: "email",
  [RegistrationType.GOOGLE]: "google",
  [RegistrationType.APPLE]: "apple",
  [RegistrationType.ENTERPRISE]: "enterprise",
};

const identityProviders: Record<Exclude<IdentityProvider, IdentityProvider.UNSPECIFIED>, IdentityProviderName> = {
  [IdentityProvider.GOOGLE]: "GOOGLE",
  [IdentityProvider.APPLE]: "APPLE",
  [IdentityProvider.ENTERPRISE]: "ENTERPRISE",
};

/** identityProviderFromPb names the provider of a federated sign-in; undefined for a password one. */
export function identityProviderFromPb(provider: IdentityProvider): IdentityProviderName | undefined {
  return provider === IdentityProvider.UNSPECIFIED ? undefined : identityProviders[provider];
}

/** deviceFromPb reads what the client says about itself; its device name is a name people read. */
export function deviceFromPb(device: DeviceContext | undefined): ClientDevice {
  return {
    deviceId: device?.deviceId,
    deviceName: device?.deviceName && normalizeHumanName(device.deviceName),
    userAgent: device?.userAgent,
    appVersion: device?.appVersion,
  };
}

/** registrationFromPb reads a validated sign-up request, with the full name normalised for storing. */
export function registrationFromPb(req: UserRegistrationRequest): Registration {
  return {
    email: req.email,
    password: req.password,
    fullName: normalizeHumanName(req.fullName),
    registrationType: registrationTypes[req.registrationType],
    ...profileDetailsFromPb(req.profileDetails),
    idToken: req.idToken,
    organizationInviteToken: req.organizationInviteToken,
    device: deviceFromPb(req.device),
  };
}

/** tokensToPb is a session's token set as the API returns it. */
export function tokensToPb(tokens: IssuedTokens): MessageInitShape<typeof AuthTokensSchema> {
  return {
    userId: tokens.userId,
    sessionId: tokens.sessionId,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresIn: tokens.expiresIn,
  };
}

const mfaTypes = twoWayMap<SecondFactorMethod, MfaType>([
  ["totp", MfaType.TOTP],
  ["sms", MfaType.SMS],
  ["backup_code", MfaType.BACKUP_CODE],
]);

/** challengeToPb is a second-factor challenge as the API returns it. */
export function challengeToPb(challenge: SecondFactorChallenge): MessageInitShape<typeof MfaChallengeSchema> {
  return { challengeId: challenge.challengeId, methods: challenge.methods.map((method) => mfaTypes.forward[method]) };
}

/** secondFactorMethodFromPb reads a validated (defined, not unspecified) MfaType. */
export function secondFactorMethodFromPb(type: Exclude<MfaType, MfaType.UNSPECIFIED>): SecondFactorMethod {
  return mfaTypes.backward[type];
}
