import type { Tx } from "../../db/database.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { IssuedTokens, SessionGrant } from "../sessions/index.js";
import { invalidMfaChallenge } from "./auth.errors.js";

/** SecondFactorMethod is a kind of second factor a challenge may be answered with. */
export type SecondFactorMethod = "totp" | "sms" | "backup_code";

/** SecondFactorChallenge asks the client for a second factor before its session opens. */
export interface SecondFactorChallenge {
  challengeId: string;
  methods: SecondFactorMethod[];
}

/** SecondFactorAnswer is a client's answer to a challenge: a code of one of its methods. */
export interface SecondFactorAnswer {
  challengeId: string;
  method: SecondFactorMethod;
  code: string;
  /** Where the answer comes from, which must be where the challenge was started. */
  origin: RequestOrigin;
}

/** FirstFactorContext is what the sign-in knows, besides its grant, when it asks whether a second factor is needed. */
export interface FirstFactorContext {
  /** The user's risk asked for additional verification: no trusted device spares the second factor. */
  stepUp: boolean;
  /** The sign-in comes from a device the user trusts now (TrustDevice). */
  trustedDevice: boolean;
}

/**
 * SecondFactor decides, once a first factor is proven, whether the sign-in needs a second one, and
 * judges the answers to the challenges it sets.
 */
export interface SecondFactor {
  /** challenge returns the challenge the sign-in must answer, or undefined to open the session now. */
  challenge(grant: SessionGrant, context: FirstFactorContext): Promise<SecondFactorChallenge | undefined>;
  /**
   * complete judges an answer and, when it is right, opens the session with open inside the same
   * transaction that spends the challenge (both factors in the grant's amr); a wrong one is a DomainError.
   */
  complete(answer: SecondFactorAnswer, open: (trx: Tx, grant: SessionGrant) => Promise<IssuedTokens>): Promise<IssuedTokens>;
}

/** noSecondFactor is the policy that never asks for a second factor, so no challenge exists to answer. */
export const noSecondFactor: SecondFactor = {
  challenge: async () => undefined,
  complete: async () => {
    throw invalidMfaChallenge();
  },
};

/** SignInOutcome is how a sign-in ends: with the session's tokens, or with a second-factor challenge and no session yet. */
export type SignInOutcome = { kind: "tokens"; tokens: IssuedTokens } | { kind: "challenge"; challenge: SecondFactorChallenge };
