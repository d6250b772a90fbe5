import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createLogger } from "../../src/platform/logger.js";
import { LogSmsSender, WebhookSmsSender } from "../../src/platform/sms.js";
import { maskPhone, normalizePhone } from "../../src/shared/phone.js";

describe("WebhookSmsSender", () => {
  const received: Array<{ authorization: string | undefined; body: unknown }> = [];
  let status = 200;
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        received.push({ authorization: req.headers.authorization, body: JSON.parse(body) });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("posts the number and text as JSON with the bearer token", async () => {
    await new WebhookSmsSender(url, "gateway-token").send("+14155552671", "123456 is your code");
    expect(received.at(-1)).toEqual({ authorization: "Bearer gateway-token", body: { to: "+14155552671", text: "123456 is your code" } });
  });

  it("fails when the gateway answers other than 2xx, or does not answer", async () => {
    status = 503;
    await expect(new WebhookSmsSender(url, undefined).send("+14155552671", "x")).rejects.toThrow("503");
    status = 200;
    await expect(new WebhookSmsSender("http://127.0.0.1:1/sms", undefined).send("+14155552671", "x")).rejects.toThrow();
  });
});

describe("LogSmsSender", () => {
  /** logged captures what the sender logs. */
  async function logged(revealText: boolean): Promise<string> {
    const lines: string[] = [];
    const log = createLogger("info", { write: (line: string) => void lines.push(line) });
    await new LogSmsSender(log, revealText).send("+14155552671", "654321 is your code");
    return lines.join("");
  }

  it("logs the text in development, with the number masked", async () => {
    const line = await logged(true);
    expect(line).toContain("654321");
    expect(line).toContain("+1******2671");
    expect(line).not.toContain("4155552671");
  });

  it("never logs the text in production", async () => {
    expect(await logged(false)).not.toContain("654321");
  });
});

describe("phone numbers", () => {
  it("normalises numbers that exist to E.164 and refuses the rest", () => {
    expect(normalizePhone("+1 (415) 555-2671")).toBe("+14155552671");
    expect(normalizePhone("+15551234567")).toBeUndefined();
    expect(normalizePhone("+12345")).toBeUndefined();
  });

  it("masks all but the country code and the last four digits", () => {
    expect(maskPhone("+14155552671")).toBe("+1******2671");
    expect(maskPhone("+447911123456")).toBe("+44******3456");
  });
});
