import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { OrderType, PreferencesService, Theme } from "../../gen/platform/user/v1/preferences_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { registerUser, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const DEFAULTS = {
  theme: Theme.SYSTEM,
  language: "en",
  timezone: "UTC",
  emailNotifications: { securityAlerts: true, tradeConfirmations: true, priceAlerts: false, accountUpdates: false, marketing: false },
  smsNotifications: { securityAlerts: true, tradeConfirmations: true, priceAlerts: false, accountUpdates: false, marketing: false },
  tradingPreferences: { defaultOrderType: OrderType.LIMIT, confirmOrders: true, defaultCurrency: "USD", riskWarnings: true },
};

describeWithServices("PreferencesService", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000" } });
  });
  afterAll(() => t?.close());

  const preferencesOf = (user: RegisteredUser) => createClient(PreferencesService, t.transport({ token: user.accessToken }));
  const update = (user: RegisteredUser, preferences: object, paths?: string[]) =>
    preferencesOf(user).updatePreferences({ preferences, ...(paths && { updateMask: { paths } }) });

  it("gives a new user the defaults", async () => {
    const user = await registerUser(t);
    expect((await preferencesOf(user).getPreferences({})).preferences).toMatchObject(DEFAULTS);
  });

  it("changes only the paths the mask names, top-level fields whole and nested fields alone", async () => {
    const user = await registerUser(t);
    await update(user, { theme: Theme.DARK, language: "de" }, ["theme"]);
    await update(user, { emailNotifications: { priceAlerts: true } }, ["email_notifications.price_alerts"]);
    const { preferences } = await update(user, { tradingPreferences: { defaultOrderType: OrderType.MARKET, confirmOrders: false } }, ["trading_preferences"]);
    expect(preferences).toMatchObject({
      ...DEFAULTS,
      theme: Theme.DARK,
      emailNotifications: { ...DEFAULTS.emailNotifications, priceAlerts: true },
      // Replaced whole: the currency left empty is the default again, the switches as given.
      tradingPreferences: { defaultOrderType: OrderType.MARKET, confirmOrders: false, defaultCurrency: "USD", riskWarnings: false },
    });
    expect((await preferencesOf(user).getPreferences({})).preferences).toEqual(preferences);
  });

  it("replaces the preferences whole without a mask", async () => {
    const user = await registerUser(t);
    await update(user, { theme: Theme.LIGHT, language: "fr" }, ["theme", "language"]);
    const { preferences } = await update(user, { theme: Theme.DARK, timezone: "Europe/Berlin" });
    expect(preferences).toMatchObject({ ...DEFAULTS, theme: Theme.DARK, timezone: "Europe/Berlin", language: "en" });
  });

  it("refuses a mask path that names no field", async () => {
    const user = await registerUser(t);
    for (const path of ["colour", "email_notifications.carrier_pigeon", "theme.shade"]) {
      await expect(update(user, { theme: Theme.DARK }, [path])).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining("update_mask") });
    }
  });

  it("stores the canonical language tag and refuses one that is not BCP 47, and a time zone IANA does not know", async () => {
    const user = await registerUser(t);
    await expect(update(user, { language: "pt-br" }, ["language"])).resolves.toMatchObject({ preferences: { language: "pt-BR" } });
    await expect(update(user, { language: "en-a" }, ["language"])).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining("language") });
    await expect(update(user, { timezone: "Mars/Olympus_Mons" }, ["timezone"])).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining("timezone") });
    await expect(update(user, { theme: 7 }, ["theme"])).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("audits the fields that changed with their old and new values, and nothing for no change", async () => {
    const user = await registerUser(t);
    await update(user, { theme: Theme.DARK }, ["theme"]);
    await update(user, { theme: Theme.DARK }, ["theme"]);
    const rows = await t.db.selectFrom("audit_trail").selectAll().where("action", "=", "preferences.update").where("resource_id", "=", user.userId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ old_values: { theme: "system" }, new_values: { theme: "dark" } });
  });

  it("keeps both of two concurrent updates of different fields", async () => {
    const user = await registerUser(t);
    await Promise.all([update(user, { theme: Theme.LIGHT }, ["theme"]), update(user, { timezone: "Asia/Tokyo" }, ["timezone"])]);
    expect((await preferencesOf(user).getPreferences({})).preferences).toMatchObject({ theme: Theme.LIGHT, timezone: "Asia/Tokyo" });
  });
});
