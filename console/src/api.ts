import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AuditService } from "../../gen/platform/user/v1/audit_service_pb.js";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { MfaService } from "../../gen/platform/user/v1/mfa_service_pb.js";
import { OrganizationService } from "../../gen/platform/user/v1/organization_service_pb.js";
import { PreferencesService } from "../../gen/platform/user/v1/preferences_service_pb.js";
import { SessionService } from "../../gen/platform/user/v1/session_service_pb.js";
import { UserLifecycleService } from "../../gen/platform/user/v1/user_lifecycle_service_pb.js";
import type { Session } from "./session.js";

/** Api is the console's clients: public ones for signing in, and ones that call as the signed-in user. */
export interface Api {
  /** publicAuth registers, signs in, completes MFA challenges and refreshes tokens, without credentials. */
  publicAuth: Client<typeof AuthService>;
  auth: Client<typeof AuthService>;
  mfa: Client<typeof MfaService>;
  sessions: Client<typeof SessionService>;
  preferences: Client<typeof PreferencesService>;
  organizations: Client<typeof OrganizationService>;
  lifecycle: Client<typeof UserLifecycleService>;
  audit: Client<typeof AuditService>;
}

// Refreshed this long before it expires, so a token never lapses on its way to the server.
const REFRESH_MARGIN_MS = 30_000;

/**
 * createApi builds the clients on Connect (JSON over fetch) against the page's own origin, the
 * service that serves the console. Calls as the user carry the access token, refreshed first when
 * it is about to expire; a call refused as UNAUTHENTICATED (the session was revoked or ended)
 * signs the console out.
 */
export function createApi(session: Session, baseUrl = window.location.origin): Api {
  const publicAuth = createClient(AuthService, createConnectTransport({ baseUrl }));
  let refreshing: Promise<void> | undefined;

  // Refresh tokens are single use: concurrent calls share one refresh rather than spending it twice.
  const refresh = (refreshToken: string) =>
    (refreshing ??= publicAuth
      .refreshToken({ refreshToken })
      .then(({ tokens }) => {
        if (!tokens) throw new ConnectError("the refresh answered no tokens", Code.Internal);
        session.signIn(tokens);
      })
      .finally(() => (refreshing = undefined)));

  const authorize: Interceptor = (next) => async (req) => {
    let tokens = session.tokens;
    if (!tokens) throw new ConnectError("sign in first", Code.Unauthenticated);
    if (tokens.expiresAt - REFRESH_MARGIN_MS <= Date.now()) {
      try {
        await refresh(tokens.refreshToken);
      } catch (error) {
        session.signOut("Your session has ended: sign in again.");
        throw error;
      }
      tokens = session.tokens ?? tokens;
    }
    req.header.set("authorization", `Bearer ${tokens.accessToken}`);
    try {
      return await next(req);
    } catch (error) {
      if (ConnectError.from(error).code === Code.Unauthenticated) session.signOut("Your session has ended (signed out or revoked): sign in again.");
      throw error;
    }
  };
  const transport = createConnectTransport({ baseUrl, interceptors: [authorize] });
  return {
    publicAuth,
    auth: createClient(AuthService, transport),
    mfa: createClient(MfaService, transport),
    sessions: createClient(SessionService, transport),
    preferences: createClient(PreferencesService, transport),
    organizations: createClient(OrganizationService, transport),
    lifecycle: createClient(UserLifecycleService, transport),
    audit: createClient(AuditService, transport),
  };
}
