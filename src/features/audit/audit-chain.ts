import { auditHash, GENESIS_HASH, type AuditRecord } from "./audit-hash.js";
import type { CheckpointReading } from "./audit-checkpoints.js";

/** ChainProblem is what is wrong where the audit trail breaks. */
export type ChainProblem = "content_changed" | "link_broken" | "entries_missing" | "truncated" | "checkpoint_invalid";

/** ChainEntry is one stored entry as the check reads it. */
export interface ChainEntry {
  lane: string;
  laneSeq: bigint;
  prevHash: Buffer;
  hash: Buffer;
  record: AuditRecord;
}

/** ChainBreak is where the trail breaks: the lane, and the entry when one is left to name. */
export interface ChainBreak {
  problem: ChainProblem;
  lane: string;
  entryId?: string;
  at?: Date;
}

/** ChainReport is the outcome of checking the whole trail. */
export interface ChainReport {
  valid: boolean;
  checked: number;
  lanes: number;
  checkpoints: number;
  /** The earliest break: a bad checkpoint first, then the earliest broken entry, then a lane cut short. */
  break?: ChainBreak;
}

interface LaneState {
  lane: string;
  nextSeq: bigint;
  prevHash: Buffer;
  broken: boolean;
}

/**
 * ChainCheck checks entries fed in lane order (each lane from its first entry, by seq): every
 * entry follows the one before it in its lane without a gap, chains to its hash, and hashes to its
 * own content; each lane reaches, with the same hash, every head the checkpoints signed for it. A
 * lane whose first months the retention dropped starts after the entry the signed cut names, and
 * chains to that entry's hash.
 */
export class ChainCheck {
  private current: LaneState | undefined;
  private checked = 0;
  private lanes = 0;
  private readonly seen = new Set<string>();
  private readonly breaks: ChainBreak[] = [];

  constructor(private readonly signed: CheckpointReading) {}

  /** add checks the next entry. */
  add(entry: ChainEntry): void {
    if (this.current?.lane !== entry.lane) this.startLane(entry.lane);
    const lane = this.current!;
    this.checked++;
    if (lane.broken) return;
    const problem = this.problemOf(lane, entry);
    if (problem) {
      lane.broken = true;
      this.breaks.push({ problem, lane: entry.lane, entryId: entry.record.id, at: entry.record.createdAt });
      return;
    }
    lane.nextSeq = entry.laneSeq + 1n;
    lane.prevHash = entry.hash;
  }

  /** finish ends the check and reports. */
  finish(): ChainReport {
    this.endLane();
    for (const [lane, head] of this.signed.heads) {
      const cutThrough = this.signed.cuts.get(lane)?.seq ?? 0n;
      if (!this.seen.has(lane) && head.seq > cutThrough) this.breaks.push({ problem: "truncated", lane });
    }
    const report = { checked: this.checked, lanes: this.lanes, checkpoints: this.signed.count };
    const found = this.firstBreak();
    return found ? { ...report, valid: false, break: found } : { ...report, valid: true };
  }

  private problemOf(lane: LaneState, entry: ChainEntry): ChainProblem | undefined {
    if (entry.laneSeq !== lane.nextSeq) return "entries_missing";
    if (!entry.prevHash.equals(lane.prevHash)) return "link_broken";
    if (!entry.hash.equals(auditHash(entry.prevHash, entry.record))) return "content_changed";
    // A lane rewritten with fresh hashes is consistent in itself, but not with what was signed.
    const head = this.signed.heads.get(entry.lane);
    if (head && head.seq === entry.laneSeq && head.hash !== entry.hash.toString("hex")) return "content_changed";
    return undefined;
  }

  private startLane(lane: string): void {
    this.endLane();
    const cut = this.signed.cuts.get(lane);
    this.current = cut ? { lane, nextSeq: cut.seq + 1n, prevHash: Buffer.from(cut.hash, "hex"), broken: false } : { lane, nextSeq: 1n, prevHash: GENESIS_HASH, broken: false };
    this.seen.add(lane);
    this.lanes++;
  }

  private endLane(): void {
    const lane = this.current;
    if (!lane || lane.broken) return;
    const head = this.signed.heads.get(lane.lane);
    if (head && lane.nextSeq <= head.seq) this.breaks.push({ problem: "truncated", lane: lane.lane });
  }

  private firstBreak(): ChainBreak | undefined {
    if (this.signed.invalidAt !== undefined) return { problem: "checkpoint_invalid", lane: "" };
    const entries = this.breaks.filter((b) => b.at !== undefined).sort((a, b) => a.at!.getTime() - b.at!.getTime());
    return entries[0] ?? this.breaks.find((b) => b.problem === "truncated");
  }
}
