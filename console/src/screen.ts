import type { Api } from "./api.js";
import type { Session } from "./session.js";

/** ScreenName names a screen of the console. */
export type ScreenName = "sign-in" | "register" | "security" | "sessions" | "preferences" | "organizations" | "admin";

/** ScreenContext is what a screen is built with: the clients, who is signed in, and a way to move on. */
export interface ScreenContext {
  api: Api;
  session: Session;
  /** go shows another screen, with a message for it when given. */
  go(screen: ScreenName, message?: string): void;
  /** message is what the previous screen left to say, if anything. */
  message: string | undefined;
}

/** Screen builds a screen's element; what it loads, it loads by itself after being shown. */
export type Screen = (context: ScreenContext) => HTMLElement;
