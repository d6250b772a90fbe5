import { randomBytes } from "node:crypto";
import { createClient, type Client } from "@connectrpc/connect";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { ProfileService } from "../../gen/platform/user/v1/profile_service_pb.js";
import type { PlatformRole } from "../../src/shared/principal.js";
import type { TestApp } from "./app.js";

/** A password that passes the policy. */
export const GOOD_PASSWORD = "violet-harbor-lantern-91";

export const uniqueEmail = (label = "user") => `${label}.${randomBytes(5).toString("hex")}@example.com`;

export interface RegisteredUser {
  email: string;
  password: string;
  userId: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
}

/** registerUser signs up a new user through the API. */
export async function registerUser(t: TestApp, overrides: { email?: string; fullName?: string } = {}): Promise<RegisteredUser> {
  const email = overrides.email ?? uniqueEmail();
  const auth = createClient(AuthService, t.transport());
  const res = await auth.register({ email, password: GOOD_PASSWORD, fullName: overrides.fullName ?? "Test User" });
  return { email, password: GOOD_PASSWORD, userId: res.userId, sessionId: res.sessionId, accessToken: res.accessToken, refreshToken: res.refreshToken };
}

/** registerWithRole signs up a user holding a platform role (granted as the CLI does). */
export async function registerWithRole(t: TestApp, role: PlatformRole): Promise<RegisteredUser> {
  const user = await registerUser(t, { email: uniqueEmail(role) });
  await t.app.context.platformRoles.grant(user.email, role);
  return user;
}

export function authClient(t: TestApp, token?: string): Client<typeof AuthService> {
  return createClient(AuthService, t.transport({ token }));
}

export function profileClient(t: TestApp, token?: string): Client<typeof ProfileService> {
  return createClient(ProfileService, t.transport({ token }));
}
