import { Writable } from "node:stream";
import { describe, expect, it } from "@jest/globals";
import { createLogger, routeConsoleTo } from "../../src/platform/logger.js";

describe("routeConsoleTo", () => {
  it("turns what libraries print with console.* into JSON log lines, until restored", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        done();
      },
    });
    const original = console.error;
    const restore = routeConsoleTo(createLogger("info", sink));
    try {
      console.error("handler for rpc Register of platform.user.v1.AuthService failed", new Error("write after end"));
      console.warn("deprecated", { option: "x" });
    } finally {
      restore();
    }
    expect(console.error).toBe(original);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toEqual([
      expect.objectContaining({ level: "error", source: "console", msg: "handler for rpc Register of platform.user.v1.AuthService failed", err: expect.objectContaining({ message: "write after end" }) }),
      expect.objectContaining({ level: "warn", source: "console", msg: 'deprecated {"option":"x"}' }),
    ]);
  });
});
