import type { IssuedTokens, SessionGrant } from "../sessions/index.js";

/** SecondFactorMethod is a kind of second factor a challenge may be answered with. */
export type SecondFactorMethod = "totp" | "sms" | "backup_code";

/** SecondFactorChallenge asks the client for a second factor before its session opens. */
export interface SecondFactorChallenge {
  challengeId: string;
  methods: SecondFactorMethod[];
}

/**
 * SecondFactor decides, once a first factor is proven, whether the sign-in needs a second one: it
 * returns the challenge to answer, or undefined to open the session now.
 */
export interface SecondFactor {
  challenge(grant: SessionGrant): Promise<SecondFactorChallenge | undefined>;
}

/** noSecondFactor is the policy while no account can enrol a second factor: every proven first factor opens a session. */
export const noSecondFactor: SecondFactor = { challenge: async () => undefined };

/** SignInOutcome is how a sign-in ends: with the session's tokens, or with a second-factor challenge and no session yet. */
export type SignInOutcome = { kind: "tokens"; tokens: IssuedTokens } | { kind: "challenge"; challenge: SecondFactorChallenge };
