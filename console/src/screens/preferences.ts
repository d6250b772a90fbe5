import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  OrderType,
  OrderTypeSchema,
  Theme,
  ThemeSchema,
  type NotificationPreferences,
  type UserPreferences,
  type UserPreferencesSchema,
} from "../../../gen/platform/user/v1/preferences_service_pb.js";
import { button, checkbox, field, h, input, select } from "../dom.js";
import { enumOptions } from "../format.js";
import { busyWhile, notice } from "../notice.js";
import type { Screen } from "../screen.js";
import { applyTheme } from "../theme.js";

const NOTIFICATIONS = [
  ["securityAlerts", "Security alerts"],
  ["tradeConfirmations", "Trade confirmations"],
  ["priceAlerts", "Price alerts"],
  ["accountUpdates", "Account updates"],
  ["marketing", "News and offers"],
] as const satisfies ReadonlyArray<readonly [keyof Omit<NotificationPreferences, "$typeName" | "$unknown">, string]>;

type NotificationKey = (typeof NOTIFICATIONS)[number][0];

/** notificationFieldset is one channel's notification switches, and a way to read them back. */
function notificationFieldset(legend: string, name: string, current: NotificationPreferences | undefined) {
  const boxes = NOTIFICATIONS.map(([key, label]) => [key, checkbox(`${name}.${key}`, label, current?.[key] ?? false)] as const);
  return {
    element: h("fieldset", {}, h("legend", {}, legend), ...boxes.map(([, box]) => box.element)),
    read: () => Object.fromEntries(boxes.map(([key, box]) => [key, box.box.checked])) as Record<NotificationKey, boolean>,
  };
}

/** preferencesForm shows the preferences as a form and reads the form back as a whole replacement. */
function preferencesForm(p: UserPreferences) {
  const theme = select("theme", enumOptions(ThemeSchema), String(p.theme || Theme.SYSTEM));
  const language = input("language", { value: p.language, maxlength: 35, pattern: "[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", autocomplete: "off" });
  const timezone = input("timezone", { value: p.timezone, maxlength: 64, list: "timezones", autocomplete: "off" });
  const zones = h("datalist", { id: "timezones" }, ...Intl.supportedValuesOf("timeZone").map((zone) => h("option", { value: zone })));
  const email = notificationFieldset("E-mail notifications", "email", p.emailNotifications);
  const sms = notificationFieldset("SMS notifications", "sms", p.smsNotifications);
  const trading = p.tradingPreferences;
  const orderType = select("defaultOrderType", enumOptions(OrderTypeSchema), String(trading?.defaultOrderType || OrderType.LIMIT));
  const currency = input("defaultCurrency", { value: trading?.defaultCurrency ?? "", pattern: "[A-Z]{3}", maxlength: 3, autocomplete: "off" });
  const confirmOrders = checkbox("confirmOrders", "Ask before sending an order", trading?.confirmOrders ?? true);
  const riskWarnings = checkbox("riskWarnings", "Show risk warnings", trading?.riskWarnings ?? true);
  const element = h(
    "form",
    { "aria-label": "Preferences" },
    h(
      "fieldset",
      {},
      h("legend", {}, "Display"),
      field("Theme", theme),
      field("Language", language, "A BCP 47 tag, such as en or pt-BR."),
      field("Time zone", timezone, "An IANA name, such as Europe/Berlin."),
      zones,
    ),
    email.element,
    sms.element,
    h(
      "fieldset",
      {},
      h("legend", {}, "Trading"),
      field("Default order type", orderType),
      field("Default currency", currency, "An ISO 4217 code, such as USD."),
      confirmOrders.element,
      riskWarnings.element,
    ),
    h("div", { class: "actions" }, button("Save preferences", undefined, "submit")),
  );
  const read = (): MessageInitShape<typeof UserPreferencesSchema> => ({
    theme: Number(theme.value) as Theme,
    language: language.value.trim(),
    timezone: timezone.value.trim(),
    emailNotifications: email.read(),
    smsNotifications: sms.read(),
    tradingPreferences: {
      defaultOrderType: Number(orderType.value) as OrderType,
      defaultCurrency: currency.value.trim().toUpperCase(),
      confirmOrders: confirmOrders.box.checked,
      riskWarnings: riskWarnings.box.checked,
    },
  });
  return { element, read };
}

/** preferencesScreen reads the caller's preferences into a form and saves the whole form back. */
export const preferencesScreen: Screen = ({ api }) => {
  const status = notice();
  const area = h("div", {});

  const show = (preferences: UserPreferences | undefined) => {
    if (!preferences) return;
    applyTheme(preferences.theme);
    const form = preferencesForm(preferences);
    form.element.addEventListener("submit", (event) => {
      event.preventDefault();
      void busyWhile(form.element, async () => {
        try {
          // Without an update mask the form replaces every preference: it shows them all.
          const res = await api.preferences.updatePreferences({ preferences: form.read() });
          show(res.preferences);
          status.ok("Preferences saved.");
        } catch (error) {
          status.fail(error);
        }
      });
    });
    area.replaceChildren(form.element);
  };

  const load = async () => {
    try {
      show((await api.preferences.getPreferences({})).preferences);
    } catch (error) {
      status.fail(error);
    }
  };

  void load();
  return h(
    "section",
    {},
    h("h2", {}, "Preferences"),
    status.element,
    area,
    button("Reload", () => {
      status.clear();
      void load();
    }),
  );
};
