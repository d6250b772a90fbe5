import { base64Encode } from "@bufbuild/protobuf/wire";
import { MfaType } from "../../../gen/platform/user/v1/common_pb.js";
import type { SetupMfaResponse } from "../../../gen/platform/user/v1/mfa_service_pb.js";
import { button, definitions, field, h, input, table } from "../dom.js";
import { mfaLabel, when } from "../format.js";
import { busyWhile, notice } from "../notice.js";
import type { Screen, ScreenContext } from "../screen.js";

/** loadMethods lists the caller's second factors, pending and active. */
async function loadMethods({ api }: ScreenContext, into: HTMLElement, status: ReturnType<typeof notice>): Promise<void> {
  try {
    const { methods } = await api.mfa.listMfaMethods({});
    into.replaceChildren(
      methods.length === 0
        ? h("p", {}, "No second factor yet: sign-in asks for your password only.")
        : table(
            "Your second factors",
            ["Method", "State", "Backup codes left", "Set up", "Last used"],
            methods.map((m) => [
              mfaLabel(m.mfaType),
              m.active ? "Active" : "Pending",
              m.mfaType === MfaType.BACKUP_CODE ? String(m.remainingBackupCodes) : "—",
              when(m.createdAt),
              when(m.lastUsedAt),
            ]),
          ),
    );
  } catch (error) {
    status.fail(error);
  }
}

/** enrolment shows the QR code and the secret of a TOTP set-up, and activates it with a code from the app. */
function enrolment(context: ScreenContext, setup: SetupMfaResponse, done: () => void): HTMLElement {
  const status = notice();
  const code = input("code", { required: true, inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6, autocomplete: "one-time-code" });
  const form = h("form", { "aria-label": "Activate the authenticator app" }, field("Code from the app", code, "Six digits."), button("Activate", undefined, "submit"));
  const result = h("div", {});
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busyWhile(form, async () => {
      try {
        const res = await context.api.mfa.verifyMfa({ mfaType: MfaType.TOTP, code: code.value.trim() });
        if (!res.verified) {
          status.info("That code is not right. Check your device's clock, and enter the code the app shows now.");
          code.select();
          return;
        }
        status.ok("Your authenticator app is active: sign-in now asks for its code.");
        form.remove();
        if (res.backupCodes.length > 0) {
          result.replaceChildren(
            h("h3", {}, "Backup codes"),
            h("p", {}, "Each code works once, when your authenticator app is not at hand. Store them now: they are not shown again."),
            h("ol", { class: "codes", "aria-label": "Backup codes" }, ...res.backupCodes.map((c) => h("li", {}, h("code", {}, c)))),
          );
        }
        done();
      } catch (error) {
        status.fail(error);
      }
    });
  });
  // A data: URL, not a blob: one, so the image needs no cleanup and the page's policy allows no more than images.
  const qr = h("img", { src: `data:image/png;base64,${base64Encode(setup.qrCodePng)}`, alt: "QR code to scan with your authenticator app", class: "qr", width: 200, height: 200 });
  return h(
    "div",
    { class: "enrolment" },
    h("figure", {}, qr, h("figcaption", {}, "Scan this with your authenticator app.")),
    definitions([
      ["Secret key", h("code", { class: "secret", "aria-label": "Secret key" }, setup.secret)],
      ["Set-up link", h("code", { class: "uri" }, setup.otpauthUri)],
    ]),
    h("p", {}, "Cannot scan? Type the secret key into the app instead."),
    status.element,
    form,
    result,
  );
}

/** securityScreen shows the caller's second factors and sets up an authenticator app (TOTP). */
export const securityScreen: Screen = (context) => {
  const status = notice();
  if (context.message) status.ok(context.message);
  const methods = h("div", {});
  const area = h("div", {});
  const start = button("Set up an authenticator app", () => {
    void busyWhile(start, async () => {
      try {
        const setup = await context.api.mfa.setupMfa({ mfaType: MfaType.TOTP });
        status.clear();
        area.replaceChildren(enrolment(context, setup, () => void loadMethods(context, methods, status)));
      } catch (error) {
        status.fail(error);
      }
    });
  });
  void loadMethods(context, methods, status);
  return h(
    "section",
    {},
    h("h2", {}, "Security"),
    status.element,
    methods,
    h("h3", {}, "Authenticator app"),
    h("p", {}, "Protect sign-in with six-digit codes from an app such as Google Authenticator, 1Password or Aegis."),
    start,
    area,
  );
};
