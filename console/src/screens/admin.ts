import { UserStatus, UserStatusSchema } from "../../../gen/platform/user/v1/common_pb.js";
import { button, field, h, input, select, table } from "../dom.js";
import { isPermissionDenied } from "../errors.js";
import { enumLabel, enumOptions, orDash, when } from "../format.js";
import { busyWhile, notice } from "../notice.js";
import type { Screen } from "../screen.js";

type Cell = Node | string;

/** Page is one page of a list as a table shows it, with the token of the next page ("" on the last). */
interface Page {
  rows: Cell[][];
  next: string;
}

/** PagedListOptions describe one paginated list: its filters, how to fetch a page, and what refusal means. */
interface PagedListOptions<F> {
  id: string;
  title: string;
  caption: string;
  headers: string[];
  /** denied explains a PERMISSION_DENIED answer: which permission the list needs, and who holds it. */
  denied: string;
  filters: HTMLElement[];
  readFilters: () => F;
  fetch: (filters: F, limit: number, pageToken: string) => Promise<Page>;
}

/**
 * pagedList shows a list a page at a time. Page tokens are bound to the filters they were issued
 * for, so the next page is asked with the filters of the first, not whatever the form says now.
 */
function pagedList<F>(options: PagedListOptions<F>): HTMLElement {
  const status = notice();
  const body = h("div", {});
  const pager = h("div", { class: "actions" });
  const limit = input(`${options.id}-limit`, { type: "number", min: 1, max: 1000, value: 20, inputmode: "numeric" });
  const form = h("form", { class: "filters", "aria-label": `${options.title} filters` }, ...options.filters, field("Per page", limit), button("Show", undefined, "submit"));
  const section = h("section", { "aria-labelledby": `${options.id}-title` }, h("h3", { id: `${options.id}-title` }, options.title), form, status.element, body, pager);

  const show = async (filters: F, pageToken: string, pageNumber: number) => {
    try {
      const page = await options.fetch(filters, Math.max(1, Number(limit.value) || 20), pageToken);
      status.clear();
      body.replaceChildren(
        page.rows.length === 0 ? h("p", {}, "Nothing matches.") : table(`${options.caption}, page ${pageNumber}`, options.headers, page.rows),
      );
      pager.replaceChildren(
        ...(pageNumber > 1 ? [button("First page", () => void show(filters, "", 1))] : []),
        ...(page.next ? [button("Next page", () => void show(filters, page.next, pageNumber + 1))] : []),
      );
    } catch (error) {
      body.replaceChildren();
      pager.replaceChildren();
      if (isPermissionDenied(error)) {
        form.hidden = true;
        status.element.replaceChildren(h("p", { role: "alert", class: "denied" }, h("strong", {}, "Not allowed. "), options.denied));
      } else {
        status.fail(error);
      }
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busyWhile(form, () => show(options.readFilters(), "", 1));
  });
  void show(options.readFilters(), "", 1);
  return section;
}

/** shortId shows the start of an id, with the whole of it on hover; "—" for none. */
function shortId(id: string, none = "—"): Cell {
  return id ? h("code", { class: "id", title: id }, id.slice(0, 8)) : none;
}

/** adminScreen lists the accounts with their statuses and the audit trail, for callers whose platform role allows it. */
export const adminScreen: Screen = ({ api }) => {
  const status = select("status", [{ value: "", label: "Any status" }, ...enumOptions(UserStatusSchema)]);
  const emailPrefix = input("emailPrefix", { maxlength: 254, autocomplete: "off" });
  const users = pagedList({
    id: "users",
    title: "Users",
    caption: "Accounts, newest first",
    headers: ["Email", "Name", "Status", "Signed up"],
    denied: "Listing accounts needs the users.read permission, which the platform admin and support roles hold.",
    filters: [field("Status", status), field("Email starts with", emailPrefix)],
    readFilters: () => ({ status: status.value ? (Number(status.value) as UserStatus) : undefined, emailPrefix: emailPrefix.value.trim() }),
    fetch: async (filters, limit, pageToken) => {
      const res = await api.lifecycle.listUsers({ ...filters, limit, pageToken });
      return {
        rows: res.users.map((u) => [
          u.email,
          u.fullName,
          h("span", { class: `status status-${UserStatus[u.status]?.toLowerCase() ?? "unknown"}` }, enumLabel(UserStatusSchema, u.status)),
          when(u.createdAt),
        ]),
        next: res.nextPageToken,
      };
    },
  });

  const resourceType = input("resourceType", { maxlength: 64, pattern: "[a-z][a-z0-9_.]{0,63}", autocomplete: "off", spellcheck: "false" });
  const audit = pagedList({
    id: "audit",
    title: "Audit trail",
    caption: "Recorded changes, newest first",
    headers: ["When", "Action", "Resource", "Actor", "Organization", "IP address"],
    denied: "The whole audit trail needs the audit.read permission, which the platform admin and compliance officer roles hold.",
    filters: [field("Resource type", resourceType, "Such as user, session or organization.")],
    readFilters: () => ({ resourceType: resourceType.value.trim() }),
    fetch: async (filters, limit, pageToken) => {
      const res = await api.audit.listAuditTrail({ ...filters, limit, pageToken });
      return {
        rows: res.entries.map((e) => [
          when(e.createdAt),
          h("code", {}, e.action),
          h("span", {}, `${e.resourceType} `, shortId(e.resourceId)),
          shortId(e.actorUserId, "system"),
          shortId(e.organizationId),
          orDash(e.ipAddress),
        ]),
        next: res.nextPageToken,
      };
    },
  });

  return h("section", {}, h("h2", {}, "Administration"), users, audit);
};
