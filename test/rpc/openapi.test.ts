import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { openApiDocument } from "../../gen/openapi.js";
import { restRoutes } from "../../src/rpc/rest/http-rules.js";
import { API_SERVICES } from "../../src/rpc/router.js";
import { startTestApp, type TestApp } from "../support/app.js";

interface Operation {
  operationId: string;
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: unknown;
  security: unknown[];
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { enum?: string[]; properties?: Record<string, unknown> }> };
}

const ENHANCEMENTS = "/api/user-enhancements";

// The REST paths of the public contract, exactly: a path renamed or dropped breaks clients.
const CONTRACT_PATHS = [
  "POST /user/register",
  "GET /user/profile",
  `POST ${ENHANCEMENTS}/users/mfa/setup`,
  `POST ${ENHANCEMENTS}/users/mfa/verify`,
  `GET ${ENHANCEMENTS}/users/mfa/methods`,
  `GET ${ENHANCEMENTS}/users/sessions`,
  `DELETE ${ENHANCEMENTS}/users/sessions/{session_id}`,
  `GET ${ENHANCEMENTS}/users/activity`,
  `GET ${ENHANCEMENTS}/users/preferences`,
  `PUT ${ENHANCEMENTS}/users/preferences`,
  `GET ${ENHANCEMENTS}/users/metrics`,
  `PUT ${ENHANCEMENTS}/users/{user_id}/status`,
  `GET ${ENHANCEMENTS}/users/{user_id}/compliance`,
  `GET ${ENHANCEMENTS}/organizations`,
  `POST ${ENHANCEMENTS}/organizations`,
  `GET ${ENHANCEMENTS}/audit-trail`,
];

const document = openApiDocument as Document;

describe("the REST routes and their OpenAPI document", () => {
  it("serve exactly the contract's REST paths", () => {
    const served = restRoutes(API_SERVICES).map((route) => `${route.httpMethod} ${route.template}`);
    expect(served.sort()).toEqual([...CONTRACT_PATHS].sort());
  });

  it("describe every served route, and nothing else", () => {
    const described = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(document.openapi).toBe("3.1.0");
    expect(described.sort()).toEqual([...CONTRACT_PATHS].sort());
  });

  it("name the query and path parameters the seeds use, and enums by their REST spellings", () => {
    const activity = document.paths[`${ENHANCEMENTS}/users/activity`]!.get!;
    expect(activity.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(["query:limit", "query:activity_type"]));
    const audit = document.paths[`${ENHANCEMENTS}/audit-trail`]!.get!;
    expect(audit.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(["query:limit", "query:resource_type"]));
    expect(document.paths[`${ENHANCEMENTS}/users/sessions/{session_id}`]!.delete!.parameters).toEqual([expect.objectContaining({ name: "session_id", in: "path", required: true })]);
    expect(document.components.schemas["platform.user.v1.MfaType"]!.enum).toEqual(expect.arrayContaining(["totp", "sms", "backup_code"]));
    expect(document.components.schemas["platform.user.v1.UserRegistrationRequest"]!.properties).toHaveProperty("full_name");
  });

  it("mark which routes need an access token", () => {
    expect(document.paths["/user/register"]!.post!.security).toEqual([]);
    expect(document.paths["/user/profile"]!.get!.security).toEqual([{ bearerAuth: [] }]);
  });
});

describe("GET /openapi.json", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ embedded: true });
  });
  afterAll(() => t?.close());

  it("serves the generated document", async () => {
    const res = await fetch(`${t.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual(openApiDocument);
  });
});
