import { describe, expect, it } from "@jest/globals";
import { create } from "@bufbuild/protobuf";
import { CreateOrganizationRequestSchema } from "../../gen/platform/user/v1/organization_service_pb.js";
import { UpdateProfileRequestSchema } from "../../gen/platform/user/v1/profile_service_pb.js";
import { createRequestValidator } from "../../src/rpc/validation.js";
import { normalizeHumanName } from "../../src/shared/human-name.js";

const validator = createRequestValidator();

/** passes says whether the human_name rule (as the server's validator runs it) accepts name. */
const passes = (name: string) => validator.validate(UpdateProfileRequestSchema, create(UpdateProfileRequestSchema, { fullName: name })).kind === "valid";

/**
 * Every Unicode scalar value (surrogates are not characters and cannot arrive in UTF-8), except
 * that of the 11,172 Hangul syllables only every 64th is taken: NFC composes them from their jamo
 * by one formula, letters into letters, and checking them all would take most of the test's time.
 */
function* scalarValues(): Generator<string> {
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (cp >= 0xac00 && cp <= 0xd7a3 && (cp - 0xac00) % 64 !== 0) continue;
    yield String.fromCodePoint(cp);
  }
}

describe("normalizeHumanName", () => {
  it("composes to NFC and trims", () => {
    expect(normalizeHumanName(" \u00a0Zoe\u0308 A\u030angstro\u0308m\u3000")).toBe("Zoë Ångström");
    expect(normalizeHumanName("\u212bngstr\u00f6m")).toBe("Ångström"); // ANGSTROM SIGN is canonically Å
  });

  // The API checks the name as sent and the server stores its NFC form, so NFC must never turn an
  // accepted name into one the rule refuses. Checked with the rule itself on every character alone
  // and inside a word (where a combining mark may compose with the letter before it), and on its
  // decomposed form alone and between zero-width joiners (whose neighbours the rule looks at).
  it("never turns a name the human_name rule accepts into one it refuses", () => {
    const broken: string[] = [];
    for (const c of scalarValues()) {
      const decomposed = c.normalize("NFD");
      const candidates = [c, decomposed, `A${c}b`, `A\u200d${decomposed}\u200db`];
      for (const name of candidates) {
        const stored = normalizeHumanName(name);
        if (stored !== name && passes(name) && !passes(stored)) broken.push(name);
      }
    }
    expect(broken).toEqual([]);
  }, 120_000);
});

describe("human_name on other fields", () => {
  // No RPC takes an organization yet; the rule is already on the field so none can be stored without it.
  it("applies to CreateOrganizationRequest.display_name", () => {
    const request = (displayName: string) => create(CreateOrganizationRequestSchema, { name: "acme-capital", displayName, organizationType: 1, subscriptionTier: 1 });
    expect(validator.validate(CreateOrganizationRequestSchema, request("Ångström Capital")).kind).toBe("valid");

    for (const displayName of ["Acme\u202e Capital", "Acme\r\nCapital", "\u200b\u200b"]) {
      const result = validator.validate(CreateOrganizationRequestSchema, request(displayName));
      expect(result.kind).toBe("invalid");
      const fields = new Set(result.violations?.map((v) => v.field.map((f) => ("name" in f ? f.name : f.kind)).join(".")));
      expect([...fields]).toEqual(["display_name"]);
    }
  });
});
