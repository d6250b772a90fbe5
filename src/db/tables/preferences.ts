import type { ColumnType } from "kysely";

/** ThemeValue is a colour scheme, as stored. */
export type ThemeValue = "light" | "dark" | "system";

/** OrderTypeValue is an order type a trading client preselects, as stored. */
export type OrderTypeValue = "market" | "limit" | "stop" | "stop_limit";

/** NotificationSwitches choose which notifications a user gets on one channel. */
export interface NotificationSwitches {
  securityAlerts: boolean;
  tradeConfirmations: boolean;
  priceAlerts: boolean;
  accountUpdates: boolean;
  marketing: boolean;
}

/** StoredPreferences are a user's preferences, every field present. */
export interface StoredPreferences {
  theme: ThemeValue;
  /** A BCP 47 language tag in its canonical form. */
  language: string;
  /** An IANA time zone name. */
  timezone: string;
  emailNotifications: NotificationSwitches;
  smsNotifications: NotificationSwitches;
  tradingPreferences: {
    defaultOrderType: OrderTypeValue;
    confirmOrders: boolean;
    /** An ISO 4217 currency code. */
    defaultCurrency: string;
    riskWarnings: boolean;
  };
}

/** UserPreferencesTable holds the preferences of the users who changed one. */
export interface UserPreferencesTable {
  user_id: string;
  preferences: ColumnType<StoredPreferences, string, string>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}
