import { DeviceTypeSchema, type Session as UserSession } from "../../../gen/platform/user/v1/session_service_pb.js";
import { button, h, table } from "../dom.js";
import { enumLabel, orDash, when } from "../format.js";
import { busyWhile, notice } from "../notice.js";
import type { Screen } from "../screen.js";

const PAGE_SIZE = 20;

/** device describes a session's client: its name when it gave one, browser, system and kind of device. */
function device(s: UserSession): HTMLElement {
  return h(
    "div",
    {},
    s.deviceName ? h("strong", {}, s.deviceName) : null,
    h("div", {}, [orDash(s.browser), orDash(s.os)].join(" · ")),
    h("small", {}, enumLabel(DeviceTypeSchema, s.deviceType)),
  );
}

/** sessionsScreen lists the caller's active sessions, a page at a time, and revokes the others. */
export const sessionsScreen: Screen = ({ api }) => {
  const status = notice();
  const list = h("div", {});
  const pager = h("div", { class: "actions" });
  let page = "";

  const load = async (pageToken: string) => {
    try {
      const res = await api.sessions.listSessions({ limit: PAGE_SIZE, pageToken });
      page = pageToken;
      list.replaceChildren(
        table(
          "Your active sessions, most recently seen first",
          ["Device", "IP address", "Location", "Signed in", "Last seen", ""],
          res.sessions.map((s) => [
            device(s),
            orDash(s.ipAddress),
            orDash([s.city, s.country].filter(Boolean).join(", ")),
            when(s.createdAt),
            when(s.lastSeenAt),
            s.current ? h("span", { class: "badge" }, "This session") : revokeButton(s),
          ]),
        ),
      );
      pager.replaceChildren(
        ...(pageToken ? [button("First page", () => void load(""))] : []),
        ...(res.nextPageToken ? [button("Next page", () => void load(res.nextPageToken))] : []),
      );
    } catch (error) {
      status.fail(error);
    }
  };

  const revokeButton = (s: UserSession) => {
    const revoke = button("Revoke", () => {
      void busyWhile(revoke, async () => {
        try {
          await api.sessions.revokeSession({ sessionId: s.sessionId });
          status.ok(`Signed out the session of ${orDash(s.browser)} on ${orDash(s.os)} (${orDash(s.ipAddress)}).`);
          await load(page);
        } catch (error) {
          status.fail(error);
        }
      });
    });
    revoke.setAttribute("aria-label", `Revoke the session of ${orDash(s.browser)} on ${orDash(s.os)} from ${orDash(s.ipAddress)}`);
    return revoke;
  };

  void load("");
  return h(
    "section",
    {},
    h("h2", {}, "Sessions"),
    h("p", {}, "Every device signed in to your account. Revoking a session signs it out at once."),
    status.element,
    list,
    pager,
    button("Refresh", () => void load(page)),
  );
};
