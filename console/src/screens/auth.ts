import { MfaType } from "../../../gen/platform/user/v1/common_pb.js";
import type { MfaChallenge } from "../../../gen/platform/user/v1/auth_service_pb.js";
import { button, field, h, input, select } from "../dom.js";
import { mfaLabel } from "../format.js";
import { busyWhile, notice } from "../notice.js";
import type { Screen, ScreenContext } from "../screen.js";

/** registerScreen signs a new user up with e-mail, password and full name, and signs them in. */
export const registerScreen: Screen = ({ api, session, go }) => {
  const status = notice();
  const email = input("email", { type: "email", required: true, autocomplete: "username", maxlength: 254 });
  const password = input("password", { type: "password", required: true, autocomplete: "new-password", minlength: 12, maxlength: 128 });
  const fullName = input("fullName", { required: true, autocomplete: "name", maxlength: 200 });
  const form = h(
    "form",
    { "aria-labelledby": "register-title" },
    field("Email", email),
    field("Password", password, "12 to 128 characters; a commonly used password is refused."),
    field("Full name", fullName, "As on your identity documents."),
    button("Register", undefined, "submit"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busyWhile(form, async () => {
      try {
        const res = await api.publicAuth.register({ email: email.value, password: password.value, fullName: fullName.value });
        session.signIn(res, email.value.trim().toLowerCase());
        go("security", "Your account is ready and you are signed in.");
      } catch (error) {
        status.fail(error);
      }
    });
  });
  return h("section", {}, h("h2", { id: "register-title" }, "Register"), status.element, form);
};

const FACTOR_HINTS: Partial<Record<MfaType, string>> = {
  [MfaType.TOTP]: "The six digits your authenticator app shows now.",
  [MfaType.SMS]: "The code sent to your phone.",
  [MfaType.BACKUP_CODE]: "One of the backup codes you saved when you set up MFA.",
};

/** secondFactorForm answers a sign-in's MFA challenge with a code of one of the offered methods. */
function secondFactorForm({ api, session, go }: ScreenContext, challenge: MfaChallenge, email: string, restart: () => void): HTMLElement {
  const status = notice();
  const methods = challenge.methods.length > 0 ? challenge.methods : [MfaType.TOTP];
  const method = select(
    "mfaType",
    methods.map((m) => ({ value: String(m), label: mfaLabel(m) })),
    String(methods[0]),
  );
  const code = input("code", { required: true, autocomplete: "one-time-code", minlength: 6, maxlength: 32, spellcheck: "false" });
  const hint = h("small", { class: "hint" }, FACTOR_HINTS[methods[0] ?? MfaType.TOTP] ?? "");
  method.addEventListener("change", () => (hint.textContent = FACTOR_HINTS[Number(method.value) as MfaType] ?? ""));
  const form = h("form", { "aria-labelledby": "mfa-title" }, field("Method", method), field("Code", code), hint, h("div", { class: "actions" }, button("Verify", undefined, "submit"), button("Cancel", restart)));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busyWhile(form, async () => {
      try {
        const res = await api.publicAuth.completeMfaChallenge({ challengeId: challenge.challengeId, code: code.value.trim(), mfaType: Number(method.value) as MfaType });
        if (!res.tokens) throw new Error("the server answered no tokens");
        session.signIn(res.tokens, email);
        go("security", "Signed in.");
      } catch (error) {
        status.fail(error);
        code.select();
      }
    });
  });
  queueMicrotask(() => code.focus());
  return h("section", {}, h("h2", { id: "mfa-title" }, "Second factor"), h("p", {}, "Your account is protected by a second factor: enter a code to finish signing in."), status.element, form);
}

/** signInScreen signs in with e-mail and password, then with a second factor when the account has one. */
export const signInScreen: Screen = (context) => {
  const { api, session, go, message } = context;
  const root = h("div", {});
  const showPassword = () => {
    const status = notice();
    if (message) status.info(message);
    const email = input("email", { type: "email", required: true, autocomplete: "username", maxlength: 254 });
    const password = input("password", { type: "password", required: true, autocomplete: "current-password", maxlength: 128 });
    const form = h("form", { "aria-labelledby": "sign-in-title" }, field("Email", email), field("Password", password), button("Sign in", undefined, "submit"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void busyWhile(form, async () => {
        try {
          const address = email.value.trim().toLowerCase();
          const res = await api.publicAuth.login({ email: address, password: password.value });
          if (res.result.case === "tokens") {
            session.signIn(res.result.value, address);
            go("security", "Signed in.");
          } else if (res.result.case === "mfaChallenge") {
            root.replaceChildren(secondFactorForm(context, res.result.value, address, showPassword));
          } else {
            throw new Error("the server answered neither tokens nor a challenge");
          }
        } catch (error) {
          status.fail(error);
        }
      });
    });
    root.replaceChildren(h("section", {}, h("h2", { id: "sign-in-title" }, "Sign in"), status.element, form));
  };
  showPassword();
  return root;
};
