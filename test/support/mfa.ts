import { createClient, type Client } from "@connectrpc/connect";
import { generate } from "otplib";
import { MfaType } from "../../gen/platform/user/v1/common_pb.js";
import { MfaService } from "../../gen/platform/user/v1/mfa_service_pb.js";
import type { TestApp } from "./app.js";
import type { RegisteredUser } from "./factories.js";

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
 * then VerifyMfa with the code of the time step before now (so a sign-in's code of the current step
 * is not a replay of it).
 */
export async function enrolTotp(t: TestApp, user: RegisteredUser, now: Date = new Date()): Promise<EnrolledTotp> {
  const mfa = mfaClient(t, user.accessToken);
  const setup = await mfa.setupMfa({ mfaType: MfaType.TOTP });
  const verified = await mfa.verifyMfa({ mfaType: MfaType.TOTP, code: await totpCode(setup.secret, new Date(now.getTime() - 30_000)) });
  if (!verified.verified) throw new Error("the enrolment's code was refused");
  return { methodId: setup.methodId, secret: setup.secret, backupCodes: verified.backupCodes };
}
