import { generateSecret, generateURI, verify } from "otplib";
import QRCode from "qrcode";

/** TOTP_PERIOD_SECONDS is the length of one time step (RFC 6238's default, what every authenticator app uses). */
export const TOTP_PERIOD_SECONDS = 30;

/** TotpEnrolment is what a user needs to add a new secret to an authenticator app. */
export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  qrCodePng: Uint8Array;
}

/** newTotpEnrolment makes a fresh 160-bit secret, its otpauth:// URI (issuer and account label) and that URI as a QR code PNG. */
export async function newTotpEnrolment(issuer: string, accountLabel: string): Promise<TotpEnrolment> {
  const secret = generateSecret();
  const otpauthUri = generateURI({ issuer, label: accountLabel, secret, period: TOTP_PERIOD_SECONDS });
  const qrCodePng = await QRCode.toBuffer(otpauthUri, { type: "png", errorCorrectionLevel: "M", width: 256 });
  return { secret, otpauthUri, qrCodePng: new Uint8Array(qrCodePng) };
}

/**
 * acceptedTotpStep checks code against secret at now with one step of tolerance either way, and
 * returns the time step it matched, or undefined. A step at or before lastAcceptedStep is refused:
 * a code works once, whatever its window.
 */
export async function acceptedTotpStep(secret: string, code: string, now: Date, lastAcceptedStep: number | undefined): Promise<number | undefined> {
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    period: TOTP_PERIOD_SECONDS,
    epochTolerance: TOTP_PERIOD_SECONDS,
    ...(lastAcceptedStep !== undefined && { afterTimeStep: lastAcceptedStep }),
  });
  return result.valid && "timeStep" in result ? result.timeStep : undefined;
}
