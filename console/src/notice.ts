import { h } from "./dom.js";
import { describeFailure } from "./errors.js";

/** Notice is a screen's message area: what a call did, or why it failed. */
export interface Notice {
  element: HTMLElement;
  ok(text: string): void;
  fail(error: unknown): void;
  /** info says something that is neither a success nor an error. */
  info(text: string): void;
  clear(): void;
}

/** notice creates an empty message area; each message replaces the last and is announced to screen readers. */
export function notice(): Notice {
  const element = h("div", { class: "notice" });
  const say = (message: HTMLElement) => element.replaceChildren(message);
  return {
    element,
    ok: (text) => say(h("p", { role: "status", class: "ok" }, text)),
    info: (text) => say(h("p", { role: "status", class: "info" }, text)),
    fail(error) {
      const failure = describeFailure(error);
      const violations = failure.violations.length > 0 ? h("ul", {}, ...failure.violations.map((line) => h("li", {}, line))) : undefined;
      say(
        h(
          "div",
          { role: "alert", class: "error" },
          h("p", {}, h("strong", { class: "code" }, failure.codeName), ` ${failure.message}`, failure.reason ? ` (${failure.reason})` : ""),
          violations,
        ),
      );
    },
    clear: () => element.replaceChildren(),
  };
}

type Control = HTMLButtonElement | HTMLInputElement | HTMLSelectElement;
const CONTROLS = "button, input, select";

/** busyWhile disables a form's controls (or a lone button) while its call runs, so a double click cannot send it twice. */
export async function busyWhile<T>(form: HTMLElement, work: () => Promise<T>): Promise<T> {
  const all = form.matches(CONTROLS) ? [form as Control] : [...form.querySelectorAll<Control>(CONTROLS)];
  const controls = all.filter((c) => !c.disabled);
  for (const control of controls) control.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    for (const control of controls) control.disabled = false;
    form.removeAttribute("aria-busy");
  }
}
