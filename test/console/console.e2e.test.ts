import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Code, createClient } from "@connectrpc/connect";
import { chromium, type Browser, type Page } from "playwright-core";
import { UserStatusSchema } from "../../gen/platform/user/v1/common_pb.js";
import { OrganizationService } from "../../gen/platform/user/v1/organization_service_pb.js";
import { Theme } from "../../gen/platform/user/v1/preferences_service_pb.js";
import { UserLifecycleService } from "../../gen/platform/user/v1/user_lifecycle_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, GOOD_PASSWORD, registerWithRole, uniqueEmail, type RegisteredUser } from "../support/factories.js";
import { totpCode } from "../support/mfa.js";
import { servicesAvailable } from "../support/services.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCREENSHOTS = path.join(ROOT, "test-results", "console");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// The machine may have no network: nothing in Chromium may try to reach out, or wait for it.
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
// The label the console gives each UserStatus (USER_STATUS_PENDING_VERIFICATION: "Pending verification").
const STATUS_LABELS = new Map(UserStatusSchema.values.filter((v) => v.number !== 0).map((v) => [v.number, v.localName.charAt(0) + v.localName.slice(1).toLowerCase().replace(/_/g, " ")]));

/** chromiumAvailable says whether Chromium can be run (CHROMIUM_PATH, else Debian's); under REQUIRE_SERVICES=1 it must be. */
function chromiumAvailable(): boolean {
  let found = true;
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    found = false;
  }
  const hint = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (!found && process.env.REQUIRE_SERVICES === "1") throw new Error(`REQUIRE_SERVICES=1 but there is ${hint}`);
  if (!found) console.warn(`skipping the browser console's end-to-end test: ${hint}`);
  return found;
}

const describeInBrowser = chromiumAvailable() && (await servicesAvailable()) ? describe : describe.skip;

/** buildConsole builds console/dist the way npm start does: only when it is missing or out of date. */
async function buildConsole(): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(ROOT, "scripts", "build-console.js"), "--if-stale"], { cwd: ROOT, timeout: 60_000 });
  if (!existsSync(path.join(ROOT, "console", "dist", "index.html"))) throw new Error("the console build left no console/dist/index.html");
}

describeInBrowser("the browser console, driven in headless Chromium", () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const shots: string[] = [];
  const pageProblems: string[] = [];
  const user = { email: uniqueEmail("console"), password: GOOD_PASSWORD, fullName: "Ann Console" };
  let secret = "";
  let otherSession: { sessionId: string; refreshToken: string };
  let admin: RegisteredUser;
  const inviteeEmail = uniqueEmail("invitee");
  const organizationName = `desk-${Date.now().toString(36)}`;

  const main = () => page.getByRole("main");
  const nav = (name: string) => page.getByRole("navigation").getByRole("button", { name, exact: true }).click();

  /** screenshot saves the whole page under test-results/console/ as NAME.png. */
  async function screenshot(name: string): Promise<void> {
    const file = path.join(SCREENSHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    shots.push(file);
  }

  async function signIn(email: string, password: string): Promise<void> {
    await main().getByLabel("Email", { exact: true }).fill(email);
    await main().getByLabel("Password", { exact: true }).fill(password);
    await main().getByRole("button", { name: "Sign in" }).click();
  }

  async function signOut(): Promise<void> {
    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await main().getByRole("heading", { name: "Sign in" }).waitFor();
    await main().getByText("You are signed out.").waitFor();
  }

  const signedInAs = (email: string) => page.getByRole("banner").getByText(`Signed in as ${email}`).waitFor();

  beforeAll(async () => {
    await fs.mkdir(SCREENSHOTS, { recursive: true });
    const [app] = await Promise.all([startTestApp(), buildConsole()]);
    t = app;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(10_000);
    // A policy violation or an uncaught error fails the run (failed calls' 4xx lines are expected).
    page.on("pageerror", (error) => pageProblems.push(`uncaught: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) pageProblems.push(message.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("is served at /console under its security headers, and registers a user", async () => {
    const res = await page.goto(`${t.baseUrl}/console`);
    const headers = res!.headers();
    expect(headers["content-security-policy"]).toContain("connect-src 'self'");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("no-referrer");

    await nav("Register");
    await main().getByLabel("Email").fill(user.email);
    await main().getByLabel("Password").fill(user.password);
    await main().getByLabel("Full name").fill(user.fullName);
    await screenshot("01-register");
    await main().getByRole("button", { name: "Register" }).click();
    await signedInAs(user.email);
    await main().getByText("Your account is ready and you are signed in.").waitFor();

    // A second session, from a phone through the API: the one the sessions screen will revoke.
    const login = await authClient(t).login({
      email: user.email,
      password: user.password,
      device: { deviceName: "Ann's phone", userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1" },
    });
    if (login.result.case !== "tokens") throw new Error(`expected tokens, got ${login.result.case}`);
    otherSession = { sessionId: login.result.value.sessionId, refreshToken: login.result.value.refreshToken };
  });

  it("signs out, and in again with the password", async () => {
    await signOut();
    await main().getByLabel("Email", { exact: true }).fill(user.email);
    await main().getByLabel("Password", { exact: true }).fill(user.password);
    await screenshot("02-sign-in");
    await main().getByRole("button", { name: "Sign in" }).click();
    await signedInAs(user.email);
  });

  it("sets up TOTP from the QR code's secret and shows the backup codes once", async () => {
    await nav("Security");
    await main().getByText("No second factor yet").waitFor();
    await main().getByRole("button", { name: "Set up an authenticator app" }).click();

    const qr = main().getByRole("img", { name: "QR code to scan with your authenticator app" });
    // Decoded by the browser, so an image indeed (the test's types know no DOM, hence the cast).
    const width = await qr.evaluate(async (element) => {
      const img = element as unknown as { decode(): Promise<void>; naturalWidth: number };
      await img.decode();
      return img.naturalWidth;
    });
    expect(width).toBeGreaterThan(0);
    const src = (await qr.getAttribute("src")) ?? "";
    expect(src).toMatch(/^data:image\/png;base64,/);
    expect(Buffer.from(src.split(",")[1]!, "base64").subarray(0, 8)).toEqual(PNG_SIGNATURE);

    secret = ((await main().getByLabel("Secret key").textContent()) ?? "").trim();
    expect(secret).toMatch(/^[A-Z2-7]{16,}=*$/);
    // The code of the step before now, as an app a few seconds behind shows: the sign-in's code of now is then no replay of it.
    await main().getByLabel("Code from the app").fill(await totpCode(secret, new Date(Date.now() - 30_000)));
    await screenshot("03-totp-setup");
    await main().getByRole("button", { name: "Activate" }).click();

    const codes = main().getByRole("list", { name: "Backup codes" }).getByRole("listitem");
    await codes.first().waitFor();
    expect(await codes.count()).toBe(10);
    await main().getByRole("cell", { name: "Authenticator app (TOTP)" }).waitFor();
    await screenshot("04-backup-codes");
  });

  it("signs in again through the MFA step", async () => {
    await signOut();
    await signIn(user.email, user.password);
    await main().getByRole("heading", { name: "Second factor" }).waitFor();
    expect(await main().getByLabel("Method").inputValue()).toBe("1"); // MFA_TYPE_TOTP
    await main().getByLabel("Code", { exact: true }).fill(await totpCode(secret));
    await screenshot("05-mfa-step");
    await main().getByRole("button", { name: "Verify" }).click();
    await signedInAs(user.email);
  });

  it("lists the sessions with their devices and revokes another one", async () => {
    await nav("Sessions");
    const rows = main().locator("tbody tr");
    await main().getByText("This session").waitFor();
    expect(await rows.count()).toBe(2);
    const phone = rows.filter({ hasText: "Ann's phone" });
    expect(await phone.textContent()).toMatch(/Mobile Safari.*iOS.*Mobile/s);
    expect(await phone.textContent()).toContain("127.0.0.1");
    expect(await rows.filter({ hasText: "This session" }).textContent()).toMatch(/Desktop/);
    await screenshot("06-sessions");

    await phone.getByRole("button", { name: /^Revoke/ }).click();
    await main().getByText(/^Signed out the session of Mobile Safari/).waitFor();
    await main().getByRole("cell", { name: "Ann's phone" }).waitFor({ state: "detached" });
    expect(await rows.count()).toBe(1);
    await expect(authClient(t).refreshToken({ refreshToken: otherSession.refreshToken })).rejects.toMatchObject({ code: Code.Unauthenticated });
  });

  it("edits the preferences, which read back the same", async () => {
    await nav("Preferences");
    await main().getByLabel("Theme").selectOption({ label: "Dark" });
    await main().getByLabel("Language").fill("pt-br");
    await main().getByLabel("Time zone").fill("Europe/Berlin");
    await main().getByRole("group", { name: "E-mail notifications" }).getByLabel("News and offers").check();
    await main().getByRole("group", { name: "SMS notifications" }).getByLabel("Trade confirmations").uncheck();
    await main().getByLabel("Default order type").selectOption({ label: "Market" });
    await main().getByLabel("Default currency").fill("EUR");
    await main().getByLabel("Ask before sending an order").uncheck();
    await main().getByRole("button", { name: "Save preferences" }).click();
    await main().getByText("Preferences saved.").waitFor();
    expect(await page.locator("html").getAttribute("data-theme")).toBe("dark");
    // The dark palette applies whatever the browser prefers.
    const background = await page.locator("body").evaluate((body) => {
      const browser = globalThis as unknown as { getComputedStyle(element: unknown): { backgroundColor: string } };
      return browser.getComputedStyle(body).backgroundColor;
    });
    expect(background).toBe("rgb(18, 20, 23)");

    // Read again, from another screen and back, and with Reload: what shows is what the server kept.
    await nav("Sessions");
    await nav("Preferences");
    for (const reread of [false, true]) {
      if (reread) await main().getByRole("button", { name: "Reload" }).click();
      await main().getByLabel("Language").waitFor();
      expect(await main().getByLabel("Theme").inputValue()).toBe(String(Theme.DARK));
      expect(await main().getByLabel("Language").inputValue()).toBe("pt-BR");
      expect(await main().getByLabel("Time zone").inputValue()).toBe("Europe/Berlin");
      expect(await main().getByRole("group", { name: "E-mail notifications" }).getByLabel("News and offers").isChecked()).toBe(true);
      expect(await main().getByRole("group", { name: "E-mail notifications" }).getByLabel("Security alerts").isChecked()).toBe(true);
      expect(await main().getByRole("group", { name: "SMS notifications" }).getByLabel("Trade confirmations").isChecked()).toBe(false);
      expect(await main().getByLabel("Default currency").inputValue()).toBe("EUR");
      expect(await main().getByLabel("Ask before sending an order").isChecked()).toBe(false);
    }
    await screenshot("07-preferences");
  });

  it("creates an organization and invites a member with a token that works", async () => {
    await nav("Organizations");
    await main().getByText("You belong to no organization yet.").waitFor();
    await main().getByLabel("Name", { exact: true }).fill(organizationName);
    await main().getByLabel("Display name").fill("Harbor Capital");
    await main().getByLabel("Organization type").selectOption({ label: "Hedge fund" });
    await main().getByLabel("Subscription tier").selectOption({ label: "Professional" });
    await main().getByRole("button", { name: "Create organization" }).click();
    await main().getByText("Created Harbor Capital; you are its admin.").waitFor();
    await main().getByRole("cell", { name: organizationName }).waitFor();

    expect(await main().getByLabel("Organization", { exact: true }).locator("option:checked").textContent()).toBe(`Harbor Capital (${organizationName})`);
    await main().getByLabel("Invitee's email").fill(inviteeEmail);
    await main().getByLabel("Role").selectOption({ label: "Trader" });
    await main().getByLabel("Department").selectOption({ label: "Trading" });
    await main().getByRole("button", { name: "Send invitation" }).click();
    await main().getByText(`Invited ${inviteeEmail}.`).waitFor();
    const token = ((await main().getByLabel("Invitation token").textContent()) ?? "").trim();
    expect(token.length).toBeGreaterThan(16);
    await screenshot("08-organizations");

    // The token shown is the invitation: the invitee signs up with it and is a member.
    const invitee = await authClient(t).register({ email: inviteeEmail, password: GOOD_PASSWORD, fullName: "Ivo Invitee", organizationInviteToken: token });
    const theirs = await createClient(OrganizationService, t.transport({ token: invitee.accessToken })).listOrganizations({});
    expect(theirs.organizations.map((o) => o.name)).toEqual([organizationName]);
  });

  it("tells a user without a platform role that the admin view is not allowed", async () => {
    await nav("Admin");
    await main().getByRole("alert").filter({ hasText: "users.read" }).waitFor();
    await main().getByRole("alert").filter({ hasText: "audit.read" }).waitFor();
    expect(await main().getByRole("alert").first().textContent()).toMatch(/^Not allowed\./);
    expect(await main().getByRole("button", { name: "Show" }).count()).toBe(0); // the filters are hidden, not offered in vain
    await screenshot("09-admin-not-allowed");
  });

  it("shows an admin the users with their statuses and the audit trail, a page at a time", async () => {
    admin = await registerWithRole(t, "admin");
    await signOut();
    await signIn(admin.email, admin.password);
    await signedInAs(admin.email);
    await nav("Admin");

    const users = main().getByRole("region", { name: "Users" });
    await users.locator("tbody tr").first().waitFor();
    await users.getByLabel("Per page").fill("2");
    await users.getByRole("button", { name: "Show" }).click();
    await users.getByRole("table", { name: /page 1$/ }).waitFor();
    const listed = new Map<string, string>();
    for (let pageNumber = 1; ; pageNumber++) {
      const table = users.getByRole("table", { name: new RegExp(`page ${pageNumber}$`) });
      await table.waitFor();
      const rows = table.locator("tbody tr");
      expect(await rows.count()).toBeLessThanOrEqual(2);
      for (const row of await rows.all()) {
        const cells = await row.locator("td").allTextContents();
        listed.set(cells[0]!, cells[2]!);
      }
      const next = users.getByRole("button", { name: "Next page" });
      if (!(await next.isVisible())) break;
      await next.click();
      await users.getByRole("table", { name: new RegExp(`page ${pageNumber + 1}$`) }).waitFor();
    }
    expect([...listed.keys()].sort()).toEqual([user.email, admin.email, inviteeEmail].sort());
    for (const status of listed.values()) expect([...STATUS_LABELS.values()]).toContain(status);
    // Each status shown is the one the service holds.
    const lifecycle = createClient(UserLifecycleService, t.transport({ token: admin.accessToken }));
    for (const u of (await lifecycle.listUsers({})).users) expect(listed.get(u.email)).toBe(STATUS_LABELS.get(u.status));
    await users.getByRole("button", { name: "First page" }).click();
    await users.getByRole("table", { name: /page 1$/ }).waitFor();

    const audit = main().getByRole("region", { name: "Audit trail" });
    await audit.locator("tbody tr").first().waitFor();
    await audit.getByLabel("Per page").fill("3");
    await audit.getByRole("button", { name: "Show" }).click();
    await audit.getByRole("table", { name: /page 1$/ }).waitFor();
    expect(await audit.locator("tbody tr").count()).toBe(3);
    await audit.getByRole("button", { name: "Next page" }).click();
    await audit.getByRole("table", { name: /page 2$/ }).waitFor();
    await audit.getByLabel("Per page").fill("200");
    await audit.getByRole("button", { name: "Show" }).click();
    await audit.getByRole("table", { name: /page 1$/ }).waitFor();
    const actions = await audit.locator("tbody tr td:nth-child(2)").allTextContents();
    expect(actions).toEqual(expect.arrayContaining(["user.register", "mfa.activate", "session.revoke", "preferences.update", "organization.create", "organization.invite"]));
    await screenshot("10-admin");
  });

  it("refreshes an access token about to expire before the next call, and stays signed in", async () => {
    // The browser's clock moves on to 15 s before the hour-long token expires (inside the console's
    // 30 s margin); the server's does not.
    await page.clock.install();
    await page.clock.fastForward("59:45");
    const audit = main().getByRole("region", { name: "Audit trail" });
    await audit.getByLabel("Per page").fill("5");
    await audit.getByRole("button", { name: "Show" }).click();
    await audit.getByRole("table", { name: /page 1$/ }).locator("tbody tr").first().filter({ hasText: "auth.token_refresh" }).waitFor();
    await signedInAs(admin.email);
  });

  it("saved a screenshot of every screen, and the page met no policy violation or uncaught error", async () => {
    expect(shots).toHaveLength(10);
    for (const file of shots) expect(statSync(file).size).toBeGreaterThan(1_000);
    expect(pageProblems).toEqual([]);
  });
});
