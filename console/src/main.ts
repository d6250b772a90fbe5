import "./style.css";
import { createApi } from "./api.js";
import { h } from "./dom.js";
import type { Screen, ScreenContext, ScreenName } from "./screen.js";
import { adminScreen } from "./screens/admin.js";
import { registerScreen, signInScreen } from "./screens/auth.js";
import { organizationsScreen } from "./screens/organizations.js";
import { preferencesScreen } from "./screens/preferences.js";
import { securityScreen } from "./screens/security.js";
import { sessionsScreen } from "./screens/sessions.js";
import { Session } from "./session.js";
import { applyTheme } from "./theme.js";

const SCREENS: Record<ScreenName, { label: string; signedIn: boolean; build: Screen }> = {
  "sign-in": { label: "Sign in", signedIn: false, build: signInScreen },
  register: { label: "Register", signedIn: false, build: registerScreen },
  security: { label: "Security", signedIn: true, build: securityScreen },
  sessions: { label: "Sessions", signedIn: true, build: sessionsScreen },
  preferences: { label: "Preferences", signedIn: true, build: preferencesScreen },
  organizations: { label: "Organizations", signedIn: true, build: organizationsScreen },
  admin: { label: "Admin", signedIn: true, build: adminScreen },
};

const session = new Session();
const api = createApi(session);
const nav = document.getElementById("nav")!;
const main = document.getElementById("screen")!;
const who = document.getElementById("who")!;
const signOut = document.getElementById("sign-out") as HTMLButtonElement;
let current: ScreenName = "sign-in";

/** go shows a screen (the sign-in one when it needs a session there is not), and marks it in the navigation. */
function go(screen: ScreenName, message?: string): void {
  current = SCREENS[screen].signedIn === Boolean(session.tokens) ? screen : session.tokens ? "security" : "sign-in";
  const context: ScreenContext = { api, session, go, message };
  main.replaceChildren(SCREENS[current].build(context));
  document.title = `${SCREENS[current].label} · User service console`;
  for (const link of nav.querySelectorAll("button")) link.setAttribute("aria-current", String(link.dataset.screen === current ? "page" : false));
  main.focus({ preventScroll: true });
}

/** renderChrome shows who is signed in and the screens open to them. */
function renderChrome(): void {
  const signedIn = Boolean(session.tokens);
  who.textContent = signedIn ? `Signed in as ${session.email}` : "Not signed in";
  signOut.hidden = !signedIn;
  const names = (Object.keys(SCREENS) as ScreenName[]).filter((name) => SCREENS[name].signedIn === signedIn);
  nav.replaceChildren(
    h("ul", {}, ...names.map((name) => {
      const link = h("button", { type: "button", "data-screen": name }, SCREENS[name].label);
      link.addEventListener("click", () => go(name));
      return h("li", {}, link);
    })),
  );
}

session.onChange((message) => {
  renderChrome();
  if (!session.tokens) {
    applyTheme(undefined);
    go("sign-in", message);
    return;
  }
  // The console wears the user's theme from the start; failing to read it changes nothing.
  api.preferences.getPreferences({}).then(({ preferences }) => applyTheme(preferences?.theme), () => undefined);
});

signOut.addEventListener("click", () => {
  signOut.disabled = true;
  // The session ends on the server first; the console forgets its tokens whatever the answer.
  api.auth
    .logout({})
    .catch(() => undefined)
    .finally(() => {
      signOut.disabled = false;
      session.signOut("You are signed out.");
    });
});

renderChrome();
go("sign-in");
