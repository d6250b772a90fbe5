/** Tokens are the signed-in session's credentials, held in memory only: a reload signs out. */
export interface Tokens {
  userId: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  /** expiresAt is when the access token stops being accepted, in epoch milliseconds. */
  expiresAt: number;
}

/** TokenSet is what Register, Login, CompleteMfaChallenge and RefreshToken answer. */
export interface TokenSet {
  userId: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  expiresIn?: number;
}

/** expiryOf reads when an access token expires: its exp claim, else expires_in, else five minutes. */
export function expiryOf(set: TokenSet, now = Date.now()): number {
  try {
    const payload = set.accessToken.split(".")[1] ?? "";
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    if (typeof exp === "number") return exp * 1000;
  } catch {
    // Not a JWT we can read: fall back on what the response said.
  }
  return now + (set.expiresIn && set.expiresIn > 0 ? set.expiresIn : 300) * 1000;
}

/** Session is who is signed in, if anyone; listeners hear every sign-in and sign-out. */
export class Session {
  #tokens: Tokens | undefined;
  #email = "";
  #listeners = new Set<(message?: string) => void>();

  /** tokens are the current credentials, undefined when signed out. */
  get tokens(): Tokens | undefined {
    return this.#tokens;
  }

  /** email is the address the user signed in with. */
  get email(): string {
    return this.#email;
  }

  /** signIn keeps a new token set (on sign-up, sign-in or a refresh of the same session). */
  signIn(set: TokenSet, email = this.#email): void {
    const changed = this.#tokens?.sessionId !== set.sessionId;
    this.#tokens = { userId: set.userId, sessionId: set.sessionId, accessToken: set.accessToken, refreshToken: set.refreshToken, expiresAt: expiryOf(set) };
    this.#email = email;
    if (changed) this.#emit();
  }

  /** signOut forgets the tokens; message says why, when it was not the user's choice. */
  signOut(message?: string): void {
    if (!this.#tokens) return;
    this.#tokens = undefined;
    this.#emit(message);
  }

  /** onChange calls listener on every sign-in and sign-out. */
  onChange(listener: (message?: string) => void): void {
    this.#listeners.add(listener);
  }

  #emit(message?: string): void {
    for (const listener of this.#listeners) listener(message);
  }
}
