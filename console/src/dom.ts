// Small DOM helpers: the console builds its screens from these rather than from a UI framework.

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | boolean | number | undefined>;

/** h creates an element with attributes (false or undefined leave one out) and children (strings become text, never HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

let nextId = 0;

/** uid is an id unique in the page, to tie a label to its control. */
export function uid(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** field wraps a control with its label (and an optional hint the control is described by). */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  control.id ||= uid(control.name || "field");
  const hintElement = hint ? h("small", { id: `${control.id}-hint`, class: "hint" }, hint) : undefined;
  if (hintElement) control.setAttribute("aria-describedby", hintElement.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintElement);
}

/** input is a text-like input; attributes such as required, type or autocomplete pass through. */
export function input(name: string, attributes: Attributes = {}): HTMLInputElement {
  return h("input", { name, type: "text", ...attributes });
}

/** checkbox is a labelled checkbox, the label after the box. */
export function checkbox(name: string, label: string, checked: boolean): { element: HTMLElement; box: HTMLInputElement } {
  const box = h("input", { type: "checkbox", name, id: uid(name) });
  box.checked = checked;
  return { element: h("div", { class: "check" }, box, h("label", { for: box.id }, label)), box };
}

/** Option is one choice of a select: its value and what it shows. */
export interface Option {
  value: string;
  label: string;
}

/** select is a drop-down of the given options with one selected. */
export function select(name: string, options: readonly Option[], selected?: string): HTMLSelectElement {
  const element = h("select", { name });
  for (const option of options) element.append(h("option", { value: option.value, selected: option.value === selected }, option.label));
  return element;
}

/** button is a button of the given type (type "button" unless it submits a form). */
export function button(label: string, onClick?: () => void, type: "button" | "submit" = "button"): HTMLButtonElement {
  const element = h("button", { type }, label);
  if (onClick) element.addEventListener("click", onClick);
  return element;
}

/** table is a table with a header row and one row per item; cells may be text or nodes. */
export function table(caption: string, headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<Child>>): HTMLTableElement {
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...headers.map((header) => h("th", { scope: "col" }, header)))),
    h("tbody", {}, ...rows.map((cells) => h("tr", {}, ...cells.map((cell) => h("td", {}, cell))))),
  );
}

/** definitions is a description list of label/value pairs. */
export function definitions(pairs: ReadonlyArray<readonly [string, Child]>): HTMLDListElement {
  return h("dl", { class: "facts" }, ...pairs.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}
