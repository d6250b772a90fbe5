import fs from "node:fs/promises";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ProfileService } from "../../gen/platform/user/v1/profile_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { selfSignedCertificate } from "../support/certificates.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("TLS", () => {
  let t: TestApp;
  let cert: Buffer;
  let baseUrl: string;
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-tls-"));
    const tls = await selfSignedCertificate(dir);
    cert = tls.cert;
    t = await startTestApp({ env: { TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile } });
    baseUrl = t.baseUrl.replace("http:", "https:");
  });
  afterAll(async () => {
    await t?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("serves gRPC over HTTP/2 with TLS", async () => {
    const profiles = createClient(ProfileService, createGrpcTransport({ baseUrl, nodeOptions: { ca: cert } }));
    await expect(profiles.getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
  });

  it("serves Connect over HTTP/1.1 with TLS", async () => {
    const profiles = createClient(ProfileService, createConnectTransport({ baseUrl, httpVersion: "1.1", nodeOptions: { ca: cert } }));
    await expect(profiles.getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
  });

  it("serves the plain HTTP endpoints over TLS", async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      https
        .get(`${baseUrl}/healthz`, { ca: cert }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .once("error", reject);
    });
    expect(status).toBe(200);
  });

  it("refuses cleartext connections", async () => {
    await expect(fetch(`${t.baseUrl}/healthz`)).rejects.toThrow();
  });
});
