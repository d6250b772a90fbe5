import { describe, expect, it } from "@jest/globals";
import { behaviourFactors, type SignInEvent } from "../../src/features/compliance/behaviour-baseline.js";

const at = (day: number, hour: number) => new Date(Date.UTC(2026, 10, day, hour, 15));
/** habits are a month of weekday sign-ins around 09:00 UTC from one laptop in Britain. */
const habits: SignInEvent[] = Array.from({ length: 20 }, (_, i) => ({ at: at(1 + i, 8 + (i % 3)), deviceId: "laptop-1", country: "GB" }));
const usual: SignInEvent = { at: at(28, 9), deviceId: "laptop-1", country: "GB" };
const codes = (recent: SignInEvent[], baseline = habits) => behaviourFactors(baseline, recent, 90).map((factor) => factor.code);

describe("behaviourFactors", () => {
  it("finds nothing unusual in a sign-in like the user's habits", () => {
    expect(codes([usual])).toEqual([]);
  });

  it.each([
    ["an hour the user never signs in at (more than an hour from any usual one)", { ...usual, at: at(28, 3) }, "unusual_hour"],
    ["a device the user never used", { ...usual, deviceId: "phone-9" }, "unusual_device"],
    ["a country the user never signed in from", { ...usual, country: "KP" }, "unusual_country"],
  ])("scores %s", (_, recent, code) => {
    expect(codes([recent])).toEqual([code]);
  });

  it("takes an hour next to a usual one as usual", () => {
    expect(codes([{ ...usual, at: at(28, 11) }])).toEqual([]);
  });

  it("scores a day with many times the usual sign-ins as a spike", () => {
    expect(codes(Array.from({ length: 8 }, () => usual))).toEqual(["sign_in_rate_spike"]);
  });

  it("needs five earlier sign-ins before anything departs from a baseline", () => {
    expect(codes([{ ...usual, deviceId: "phone-9", country: "KP", at: at(28, 3) }], habits.slice(0, 4))).toEqual([]);
  });

  it("caps all departures together at 25 points", () => {
    const everything = Array.from({ length: 8 }, () => ({ at: at(28, 3), deviceId: "phone-9", country: "KP" }));
    const factors = behaviourFactors(habits, everything, 90);
    expect(factors.map((factor) => factor.code)).toEqual(["unusual_hour", "unusual_device", "unusual_country", "sign_in_rate_spike"]);
    expect(factors.reduce((sum, factor) => sum + factor.weight, 0)).toBeLessThanOrEqual(25);
  });
});
