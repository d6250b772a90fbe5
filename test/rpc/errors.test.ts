import { describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { createLogger } from "../../src/platform/logger.js";
import { LimitExceeded } from "../../src/platform/rate-limits.js";
import { toConnectError } from "../../src/rpc/errors.js";
import { DomainError } from "../../src/shared/domain-error.js";

/** translate runs toConnectError with a logger whose lines it returns, parsed. */
function translate(error: unknown) {
  const lines: string[] = [];
  const wire = toConnectError(error, createLogger("trace", { write: (line: string) => void lines.push(line) }));
  return { wire, logged: lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("toConnectError", () => {
  describe("a DomainError", () => {
    it("answers its kind's code, its message and its reason, with no retry-after when it names no wait", () => {
      const { wire, logged } = translate(new DomainError("not_found", "user_not_found", "user not found"));
      expect(wire).toMatchObject({ code: Code.NotFound, rawMessage: "user not found" });
      expect([...wire.metadata]).toEqual([["x-error-reason", "user_not_found"]]);
      expect(logged).toEqual([expect.objectContaining({ level: "warn", kind: "not_found", reason: "user_not_found", msg: "user not found" })]);
      expect(logged[0]).not.toHaveProperty("retryAfterMs");
    });

    it("answers retry-after in whole seconds, rounded up, when it names a wait", () => {
      const retryAfter = (retryAfterMs: number) =>
        translate(new DomainError("unavailable", "busy", "try again later", { retryAfterMs })).wire.metadata.get("retry-after");
      expect([1, 1000, 1001, 59_999].map(retryAfter)).toEqual(["1", "1", "2", "60"]);
    });
  });

  describe("a LimitExceeded", () => {
    it("answers RESOURCE_EXHAUSTED with retry-after and its reason, and logs the wait at warn", () => {
      const { wire, logged } = translate(new LimitExceeded("login_rate_ip", 1500, true));
      expect(wire).toMatchObject({ code: Code.ResourceExhausted, rawMessage: "too many attempts, try again later" });
      expect([...wire.metadata]).toEqual([
        ["retry-after", "2"],
        ["x-error-reason", "login_rate_ip"],
      ]);
      expect(logged).toEqual([expect.objectContaining({ level: "warn", reason: "login_rate_ip", retryAfterMs: 1500 })]);
    });
  });
});
