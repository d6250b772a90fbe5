import { sha256 } from "../../platform/crypto/random.js";

/** LaneKey is what decides an event's lane. */
export interface LaneKey {
  organizationId: string | null;
  actorUserId: string | null;
  resourceId: string;
}

/** organizationLane is the lane of an organization's events. */
export const organizationLane = (organizationId: string): string => `org:${organizationId}`;

/**
 * laneOf is the audit lane an event is chained in: its organization's own lane, so a tenant's trail
 * stays one chain (and, with the data distributed by organization, on one node), or else one of
 * platformLanes lanes picked by the actor (the resource for the system's own events), so one user's
 * actions stay in order in one chain.
 */
export function laneOf(key: LaneKey, platformLanes: number): string {
  if (key.organizationId !== null) return organizationLane(key.organizationId);
  const bucket = sha256(key.actorUserId ?? key.resourceId).readUInt32BE(0) % platformLanes;
  return `platform:${bucket}`;
}
