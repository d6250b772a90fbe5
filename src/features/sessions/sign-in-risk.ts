import { Counter, type Registry } from "prom-client";
import type { Db } from "../../db/database.js";
import type { RiskFactor } from "../../db/tables/sessions.js";
import { transaction } from "../../db/transaction.js";
import type { Clock } from "../../platform/clock.js";
import type { GeoIp, Place } from "../../platform/geoip.js";
import type { NetworkList } from "../../platform/networks.js";
import type { AuditLog } from "../audit/index.js";
import type { ProfileService } from "../profile/index.js";
import type { SessionAnomalies } from "./session-anomalies.js";
import { findSignInHistory, type SignInHistory } from "./sessions.repository.js";
import type { SessionGrant } from "./sessions.service.js";

/** SignInRiskAssessment is a sign-in's score, 0–100, and the factors that add up to it. */
export interface SignInRiskAssessment {
  score: number;
  factors: RiskFactor[];
}

/**
 * POINTS is what each factor adds to a sign-in's score. Each is explainable to the user and the
 * security team: the session lists the factors that scored it.
 */
const POINTS = {
  new_device: 20, // a device id the account has never signed in from
  unknown_device: 10, // no device id at all: nothing to recognise
  new_country: 25, // a country the account has never signed in from
  impossible_travel: 45, // farther from the last sign-in than an airliner could have flown since
  recent_failure: 5, // per failed attempt in the sign-in's budget before this one, up to 25
  new_account: 10, // an account less than a day old
  risky_network: 40, // an address on RISKY_NETWORKS_FILE (anonymisers, hosting ranges, known abuse)
} as const;

const MAX_FAILURE_POINTS = 25;
const NO_HISTORY: SignInHistory = { countries: [], lastPlace: undefined };
const AIRLINER_KMH = 1_000;
const NEARBY_KM = 500; // closer than this is never "impossible": GeoIP places are city-accurate at best
const DAY_MS = 24 * 3600 * 1000;

/** kilometresBetween is the great-circle distance between two points (haversine). */
export function kilometresBetween(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(b.latitude - a.latitude);
  const dLon = radians(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.latitude)) * Math.cos(radians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

/** SignInRiskDependencies are what scoring a sign-in reads. */
export interface SignInRiskDependencies {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  profiles: ProfileService;
  geoip: GeoIp;
  riskyNetworks: NetworkList;
  metrics: Registry;
  anomalies: SessionAnomalies;
}

/**
 * SignInRisk scores a proven first factor from what the account's earlier sign-ins tell (device,
 * country, place and time), its recent failures, its age and the client's network, and records
 * the sign-ins refused for their risk as security events.
 */
export class SignInRisk {
  private readonly suspicious: Counter;

  constructor(private readonly deps: SignInRiskDependencies) {
    this.suspicious = new Counter({ name: "suspicious_sign_ins_total", help: "Sign-ins refused because of their risk score.", registers: [deps.metrics] });
  }

  /**
   * assess scores a sign-in. recentFailures is how many failed attempts its budget counted before
   * it; knownDevice whether the device has signed in to the account (Sessions.deviceStanding).
   */
  async assess(grant: SessionGrant, recentFailures: number, knownDevice: boolean): Promise<SignInRiskAssessment> {
    const { db, clock, geoip, profiles, riskyNetworks } = this.deps;
    const now = clock.now();
    const place = geoip.locate(grant.origin.ipAddress);
    const { deviceId } = grant.device;
    const [history, profile] = await Promise.all([
      // Without a place for this sign-in, where earlier ones came from cannot count.
      place ? findSignInHistory(db, grant.userId) : Promise.resolve(NO_HISTORY),
      profiles.get(grant.userId),
    ]);
    const factors: RiskFactor[] = [];
    const add = (factor: keyof typeof POINTS, points: number = POINTS[factor]) => factors.push({ factor, points });
    if (!deviceId) add("unknown_device");
    else if (!knownDevice) add("new_device");
    if (place?.country && history.countries.length > 0 && !history.countries.includes(place.country)) add("new_country");
    if (impossibleTravel(history, place, now)) add("impossible_travel");
    if (recentFailures > 0) add("recent_failure", Math.min(MAX_FAILURE_POINTS, recentFailures * POINTS.recent_failure));
    if (now.getTime() - profile.createdAt.getTime() < DAY_MS) add("new_account");
    if (riskyNetworks.contains(grant.origin.ipAddress)) add("risky_network");
    for (const { factor } of factors) if (factor === "new_country" || factor === "impossible_travel") this.deps.anomalies.seen(factor);
    return { score: Math.min(100, factors.reduce((sum, f) => sum + f.points, 0)), factors };
  }

  /** refused records a sign-in refused for its risk: the suspicious_sign_ins_total counter and a compliance-relevant audit row. */
  async refused(grant: SessionGrant, risk: SignInRiskAssessment): Promise<void> {
    this.suspicious.inc();
    await transaction(this.deps.db, (trx) =>
      this.deps.audit.record(trx, {
        actorUserId: grant.userId,
        action: "auth.sign_in_blocked",
        resourceType: "user",
        resourceId: grant.userId,
        newValues: { riskScore: risk.score, factors: risk.factors.map((f) => f.factor), deviceId: grant.device.deviceId ?? null },
        reason: "sign-in risk above SIGN_IN_BLOCK_RISK",
        origin: grant.origin,
        complianceRelevant: true,
      }),
    );
  }
}

/** impossibleTravel says whether reaching place from the last known sign-in place by now would have taken faster than an airliner. */
function impossibleTravel(history: SignInHistory, place: Place | undefined, now: Date): boolean {
  const last = history.lastPlace;
  if (!last || place?.latitude === undefined || place.longitude === undefined) return false;
  const km = kilometresBetween(last, { latitude: place.latitude, longitude: place.longitude });
  const hours = Math.max(now.getTime() - last.at.getTime(), 60_000) / 3_600_000;
  return km > NEARBY_KM && km / hours > AIRLINER_KMH;
}
