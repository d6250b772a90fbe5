import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "@jest/globals";
import { dataKey, FieldCipher, loadOrCreateDataKey, UnreadableSealedValue } from "../../src/platform/crypto/field-cipher.js";

const keyA = dataKey(randomBytes(32));
const keyB = dataKey(randomBytes(32));

describe("FieldCipher", () => {
  const cipher = new FieldCipher(keyA);

  it("opens what it sealed, in the same context", () => {
    const sealed = cipher.seal("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "mfa_methods.secret_sealed:1");
    expect(sealed).toMatch(new RegExp(`^v1\\.${keyA.id}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]+$`));
    expect(sealed).not.toContain("JBSWY3DP");
    expect(cipher.open(sealed, "mfa_methods.secret_sealed:1")).toBe("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
  });

  it("seals the same value differently every time (a fresh IV each)", () => {
    expect(cipher.seal("+15551234567", "c")).not.toBe(cipher.seal("+15551234567", "c"));
  });

  it("refuses a value copied onto another row or column", () => {
    const sealed = cipher.seal("secret", "mfa_methods.secret_sealed:1");
    expect(() => cipher.open(sealed, "mfa_methods.secret_sealed:2")).toThrow(UnreadableSealedValue);
    expect(() => cipher.open(sealed, "mfa_methods.phone_sealed:1")).toThrow(UnreadableSealedValue);
  });

  it("refuses an altered value", () => {
    const sealed = cipher.seal("secret", "c");
    const parts = sealed.split(".");
    const body = Buffer.from(parts[3]!, "base64url");
    body[0] = body[0]! ^ 1;
    expect(() => cipher.open([...parts.slice(0, 3), body.toString("base64url")].join("."), "c")).toThrow(UnreadableSealedValue);
    expect(() => cipher.open("not sealed", "c")).toThrow(UnreadableSealedValue);
  });

  it("opens values of a previous key, seals under the current one, and names a key it does not hold", () => {
    const old = new FieldCipher(keyA).seal("secret", "c");
    const rotated = new FieldCipher(keyB, [keyA]);
    expect(rotated.open(old, "c")).toBe("secret");
    expect(rotated.isCurrent(old)).toBe(false);
    expect(rotated.isCurrent(rotated.seal("secret", "c"))).toBe(true);
    expect(() => new FieldCipher(keyB).open(old, "c")).toThrow(`key ${keyA.id} is neither DATA_ENCRYPTION_KEY nor one of DATA_ENCRYPTION_PREVIOUS_KEYS`);
  });

  it("derives the same key id from the same key, and different ones from different keys", () => {
    expect(dataKey(Buffer.from(keyA.key)).id).toBe(keyA.id);
    expect(keyB.id).not.toBe(keyA.id);
  });
});

describe("loadOrCreateDataKey", () => {
  it("generates a key once, readable by the owner only, and reads the same key on every later start", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-data-key-"));
    try {
      const first = await loadOrCreateDataKey(dir);
      expect(first.generated).toBe(true);
      expect(first.key).toHaveLength(32);
      expect((await fs.stat(first.file)).mode & 0o777).toBe(0o600);
      const again = await loadOrCreateDataKey(dir);
      expect(again).toMatchObject({ generated: false, file: first.file });
      expect(again.key.equals(first.key)).toBe(true);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
