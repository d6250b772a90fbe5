import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/** DataKey is a 256-bit data encryption key with the id that sealed values carry to name it. */
export interface DataKey {
  id: string;
  key: Buffer;
}

/**
 * dataKey wraps raw key bytes with their id: the first 48 bits of a domain-separated SHA-256 of the
 * key, so the id is stable wherever the key is configured and says nothing usable about it.
 */
export function dataKey(key: Buffer): DataKey {
  if (key.length !== 32) throw new Error("a data encryption key is 32 bytes");
  const id = createHash("sha256").update("user-service data key id\0").update(key).digest().subarray(0, 6).toString("base64url");
  return { id, key };
}

/** UnreadableSealedValue is a sealed value that cannot be opened: unknown key, wrong context, or altered. */
export class UnreadableSealedValue extends Error {
  constructor(reason: string) {
    super(`cannot open a sealed value: ${reason}`);
    this.name = "UnreadableSealedValue";
  }
}

const FORMAT = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * FieldCipher seals values stored at rest (MFA secrets, phone numbers) with AES-256-GCM under the
 * current data key, as `v1.<key id>.<iv>.<ciphertext+tag>` in base64url. The context (table, column
 * and row id) is authenticated with the value, so a sealed value copied onto another row or column
 * does not open. Keys rotated out still open what they sealed until `rotate-keys` re-seals it.
 */
export class FieldCipher {
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(
    private readonly current: DataKey,
    previous: readonly DataKey[] = [],
  ) {
    this.keys = new Map([current, ...previous].map((k) => [k.id, k.key]));
  }

  /** currentKeyId is the id of the key new values are sealed under. */
  get currentKeyId(): string {
    return this.current.id;
  }

  /** seal encrypts plaintext for storage under the current key, bound to context. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.current.key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return [FORMAT, this.current.id, iv.toString("base64url"), sealed.toString("base64url")].join(".");
  }

  /** open decrypts a value seal made for the same context; it throws UnreadableSealedValue otherwise. */
  open(value: string, context: string): string {
    const [format, keyId, iv, sealed, ...rest] = value.split(".");
    if (format !== FORMAT || !keyId || !iv || !sealed || rest.length > 0) throw new UnreadableSealedValue("not a sealed value");
    const key = this.keys.get(keyId);
    if (!key) throw new UnreadableSealedValue(`key ${keyId} is neither DATA_ENCRYPTION_KEY nor one of DATA_ENCRYPTION_PREVIOUS_KEYS`);
    const bytes = Buffer.from(sealed, "base64url");
    if (bytes.length < TAG_BYTES) throw new UnreadableSealedValue("too short");
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      throw new UnreadableSealedValue("altered, or sealed for another context");
    }
  }

  /**
   * keyedHash is an HMAC-SHA256 of value in context under a subkey of the current key: what is
   * stored of a short secret (a six-digit SMS code) that a stolen table must not give away, and a
   * stable pseudonym for a value (a phone number in a rate-limit key). It changes when the key does.
   */
  keyedHash(value: string, context: string): Buffer {
    this.hashKey ??= Buffer.from(hkdfSync("sha256", this.current.key, Buffer.alloc(0), "user-service keyed hash", 32));
    return createHmac("sha256", this.hashKey).update(context).update("\0").update(value).digest();
  }

  private hashKey: Buffer | undefined;

  /** isCurrent says whether value is sealed under the current key, so rotation may leave it alone. */
  isCurrent(value: string): boolean {
    return value.startsWith(`${FORMAT}.${this.current.id}.`);
  }
}

/** StoredDataKey is embedded mode's data key and whether this start generated it. */
export interface StoredDataKey {
  key: Buffer;
  file: string;
  generated: boolean;
}

/**
 * loadOrCreateDataKey is embedded mode's data encryption key: 32 random bytes generated once under
 * dataDir, readable by the owner only, and reused on every start so sealed values stay readable.
 */
export async function loadOrCreateDataKey(dataDir: string): Promise<StoredDataKey> {
  const file = path.join(dataDir, "data-encryption-key");
  const read = async () => {
    const key = Buffer.from((await fs.readFile(file, "utf8")).trim(), "base64");
    if (key.length !== 32) throw new Error(`${file} does not hold 32 bytes of base64`);
    return key;
  };
  try {
    return { key: await read(), file, generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await fs.mkdir(dataDir, { recursive: true });
  // "wx" fails if another process created the file first; then we read theirs.
  const generated = await fs.writeFile(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" }).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
      return false;
    },
  );
  return { key: await read(), file, generated };
}
