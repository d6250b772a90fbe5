import { create, type DescField, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import {
  NotificationPreferencesSchema,
  OrderType,
  Theme,
  TradingPreferencesSchema,
  UserPreferencesSchema,
  type NotificationPreferences,
  type UserPreferences,
} from "../../../gen/platform/user/v1/preferences_service_pb.js";
import type { NotificationSwitches, OrderTypeValue, StoredPreferences, ThemeValue } from "../../db/tables/preferences.js";
import { twoWayMap } from "../../shared/two-way-map.js";
import * as errors from "./preferences.errors.js";
import { DEFAULT_PREFERENCES } from "./preferences.service.js";

const themes = twoWayMap<Theme, ThemeValue>([
  [Theme.LIGHT, "light"],
  [Theme.DARK, "dark"],
  [Theme.SYSTEM, "system"],
]);
const orderTypes = twoWayMap<OrderType, OrderTypeValue>([
  [OrderType.MARKET, "market"],
  [OrderType.LIMIT, "limit"],
  [OrderType.STOP, "stop"],
  [OrderType.STOP_LIMIT, "stop_limit"],
]);

function notificationsToPb(switches: NotificationSwitches): MessageInitShape<typeof NotificationPreferencesSchema> {
  return { ...switches };
}

/** preferencesToPb shapes stored preferences as the API shows them. */
export function preferencesToPb(preferences: StoredPreferences): UserPreferences {
  const trading = preferences.tradingPreferences;
  return create(UserPreferencesSchema, {
    theme: themes.backward[preferences.theme],
    language: preferences.language,
    timezone: preferences.timezone,
    emailNotifications: notificationsToPb(preferences.emailNotifications),
    smsNotifications: notificationsToPb(preferences.smsNotifications),
    tradingPreferences: create(TradingPreferencesSchema, {
      defaultOrderType: orderTypes.backward[trading.defaultOrderType],
      confirmOrders: trading.confirmOrders,
      defaultCurrency: trading.defaultCurrency,
      riskWarnings: trading.riskWarnings,
    }),
  });
}

function notificationsFromPb(message: NotificationPreferences | undefined, fallback: NotificationSwitches): NotificationSwitches {
  if (!message) return { ...fallback };
  const { securityAlerts, tradeConfirmations, priceAlerts, accountUpdates, marketing } = message;
  return { securityAlerts, tradeConfirmations, priceAlerts, accountUpdates, marketing };
}

/**
 * preferencesFromPb reads API preferences: an unspecified enum, an empty string or an absent
 * message is the default; booleans are taken as given. Validation already refused undefined enum values.
 */
export function preferencesFromPb(message: UserPreferences): StoredPreferences {
  const d = DEFAULT_PREFERENCES;
  const trading = message.tradingPreferences;
  return {
    theme: message.theme === Theme.UNSPECIFIED ? d.theme : themes.forward[message.theme],
    language: message.language || d.language,
    timezone: message.timezone || d.timezone,
    emailNotifications: notificationsFromPb(message.emailNotifications, d.emailNotifications),
    smsNotifications: notificationsFromPb(message.smsNotifications, d.smsNotifications),
    tradingPreferences: trading
      ? {
          defaultOrderType: trading.defaultOrderType === OrderType.UNSPECIFIED ? d.tradingPreferences.defaultOrderType : orderTypes.forward[trading.defaultOrderType],
          confirmOrders: trading.confirmOrders,
          defaultCurrency: trading.defaultCurrency || d.tradingPreferences.defaultCurrency,
          riskWarnings: trading.riskWarnings,
        }
      : { ...d.tradingPreferences },
  };
}

type Fields = Record<string, unknown>;

/**
 * checkMaskPaths refuses a path that names no field of UserPreferences: every segment but the
 * last must name a message field, by its proto name ("email_notifications.price_alerts").
 */
export function checkMaskPaths(paths: readonly string[]): void {
  for (const path of paths) {
    let message: DescMessage | undefined = UserPreferencesSchema;
    for (const name of path.split(".")) {
      const field: DescField | undefined = message?.fields.find((candidate) => candidate.name === name);
      if (!field) throw errors.unknownMaskPath(path);
      message = field.message;
    }
  }
}

/**
 * applyMask copies the fields the paths name from `given` into `target` (both UserPreferences): a
 * path to a message replaces it whole, a path into one replaces that field only. What `given`
 * leaves out becomes the field's zero value, which preferencesFromPb reads as the default.
 */
export function applyMask(target: UserPreferences, given: UserPreferences, paths: readonly string[]): void {
  for (const path of paths) {
    const names = path.split(".");
    let into = target as unknown as Fields;
    let from = given as unknown as Fields | undefined;
    let message: DescMessage = UserPreferencesSchema;
    for (const [index, name] of names.entries()) {
      const field: DescField = message.fields.find((candidate) => candidate.name === name)!;
      const key = field.localName;
      if (index === names.length - 1) {
        // A parent message left out of `given` reads as a fresh one: every field at its zero value.
        into[key] = (from ?? (create(message) as unknown as Fields))[key];
        break;
      }
      into[key] ??= create(field.message!);
      into = into[key] as Fields;
      from = from?.[key] as Fields | undefined;
      message = field.message!;
    }
  }
}
