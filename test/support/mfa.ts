import { createClient, type Client } from "@connectrpc/connect";
import { generate } from "otplib";
import { MfaType } from "../../gen/platform/user/v1/common_pb.js";
import { MfaService } from "../../gen/platform/user/v1/mfa_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeviceContextSchema } from "../../gen/platform/user/v1/common_pb.js";
import type { TestApp } from "./app.js";
import { authClient, type RegisteredUser } from "./factories.js";

/** mfaClient is an MfaService client calling as the token's user. */
export function mfaClient(t: TestApp, token: string): Client<typeof MfaService> {
  return createClient(MfaService, t.transport({ token }));
}

/** totpCode is the code an authenticator app shows for secret at the given time (now by default). */
export function totpCode(secret: string, at: Date = new Date()): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000) });
}

/** EnrolledTotp is a user's active authenticator secret and the backup codes its activation returned. */
export interface EnrolledTotp {
  methodId: string;
  secret: string;
  backupCodes: string[];
}

/**
 * enrolTotp sets up and activates TOTP for a freshly registered user, as an app would: SetupMfa,
 * then VerifyMfa with the code of the time step before now (the service's clock when given, else
 * the wall clock), so a sign-in's code of the current step is not a replay of it.
 */
export async function enrolTotp(t: TestApp, user: Pick<RegisteredUser, "accessToken">, now?: Date): Promise<EnrolledTotp> {
  const mfa = mfaClient(t, user.accessToken);
  const setup = await mfa.setupMfa({ mfaType: MfaType.TOTP });
  // On the wall clock, the time is read only now: a step boundary passed during set-up cannot age the code.
  const at = now ?? new Date();
  const verified = await mfa.verifyMfa({ mfaType: MfaType.TOTP, code: await totpCode(setup.secret, new Date(at.getTime() - 30_000)) });
  if (!verified.verified) throw new Error("the enrolment's code was refused");
  return { methodId: setup.methodId, secret: setup.secret, backupCodes: verified.backupCodes };
}

/** startChallenge signs the user in with their password on app t and returns the MFA challenge, failing on tokens. */
export async function startChallenge(t: TestApp, user: { email: string; password: string }, device: MessageInitShape<typeof DeviceContextSchema> = {}) {
  const res = await authClient(t).login({ email: user.email, password: user.password, device });
  if (res.result.case !== "mfaChallenge") throw new Error(`expected an MFA challenge, got ${res.result.case}`);
  return res.result.value;
}
