import type { JSONWebKeySet } from "jose";
import { readCheckpoints, signedPayload, type SignedHead } from "./audit-checkpoints.js";
import { EXPORT_FORMAT, importedRecord, type ExportCheckpointLine, type ExportEntryLine, type ExportHeaderLine } from "./audit-export-format.js";
import { auditHash, GENESIS_HASH } from "./audit-hash.js";
import { organizationLane } from "./audit-lanes.js";

/** ExportProblem is what is wrong with an export where its check stops. */
export type ExportProblem =
  | "malformed"
  | "checkpoint_invalid"
  | "content_changed"
  | "link_broken"
  | "entries_missing"
  | "start_unproven"
  | "unsigned"
  | "out_of_scope";

/** ExportCheck is the outcome of checking an export. */
export interface ExportCheck {
  /** Every entry is authentic, in order and vouched for by a signed checkpoint, and none at the start of a lane's run is missing. */
  valid: boolean;
  /** Valid, and the end of every lane's run proven too: no entry of the range can be missing from it. */
  complete: boolean;
  /** Entries in the range, and entries in all (those beside the range included). */
  entries: number;
  allEntries: number;
  lanes: number;
  checkpoints: number;
  /**
   * Lanes whose run ends at its last entry in the range without a checkpoint made after the range
   * that signs it as the lane's head: nothing proves the lane had no more entries in the range.
   */
  openEndedLanes: string[];
  /** Where the check stopped: the line (from 1), and the lane and entry when there is one. */
  problem?: { kind: ExportProblem; line: number; detail: string; lane?: string; entryId?: string };
}

interface Run {
  lane: string;
  nextSeq: bigint;
  prevHash: Buffer;
  lastSeq: bigint;
  lastHash: string;
  lastAt: number;
  inRange: number;
  pastRange: boolean;
}

/**
 * CLOCK_MARGIN_MS is how long after the range a checkpoint must be signed to show a lane had no
 * more entries in it: an entry is dated when its transaction records it, a moment before it commits,
 * possibly by another replica's clock.
 */
const CLOCK_MARGIN_MS = 60_000;

class ExportBroken extends Error {
  constructor(
    readonly kind: ExportProblem,
    detail: string,
    readonly lane?: string,
    readonly entryId?: string,
  ) {
    super(detail);
  }
}

/**
 * checkExport checks a regulatory export (see AuditExports) with nothing but the service's JWKS:
 * the checkpoints verify, each run of consecutive ones chaining to each other; in each lane's run every entry hashes to its
 * content, chains to the one before it and follows it without a gap; the run starts at the lane's
 * first entry, after a signed cut, or with an entry dated before the range, and ends at an entry a
 * checkpoint signed, so the signature vouches for the whole run; the entries marked in range are
 * exactly those dated in it, and an organization's export holds its lane only.
 */
export async function checkExport(lines: AsyncIterable<string>, jwks: JSONWebKeySet): Promise<ExportCheck> {
  const check = new ExportChecker(jwks);
  let number = 0;
  try {
    for await (const text of lines) {
      number++;
      if (text.trim() === "") continue;
      await check.line(parseLine(text));
    }
    await check.finish();
    return check.report();
  } catch (error) {
    if (!(error instanceof ExportBroken)) throw error;
    return { ...check.report(), valid: false, complete: false, problem: { kind: error.kind, line: number, detail: error.message, lane: error.lane, entryId: error.entryId } };
  }
}

function parseLine(text: string): ExportHeaderLine | ExportCheckpointLine | ExportEntryLine {
  try {
    const parsed = JSON.parse(text) as { type?: unknown };
    if (parsed && typeof parsed === "object" && ["export", "checkpoint", "entry"].includes(parsed.type as string)) return parsed as ExportHeaderLine;
  } catch {
    // Reported below.
  }
  throw new ExportBroken("malformed", "not a line of an audit export");
}

class ExportChecker {
  private header: ExportHeaderLine | undefined;
  private range = { from: 0, to: 0 };
  private readonly checkpoints: ExportCheckpointLine[] = [];
  private checkpointsRead = false;
  private readonly signed = new Map<string, Map<string, SignedPoint>>();
  private readonly cuts = new Map<string, Map<string, SignedPoint>>();
  private run: Run | undefined;
  private readonly lanes = new Set<string>();
  private readonly openEnded: string[] = [];
  private entries = 0;
  private allEntries = 0;

  constructor(private readonly jwks: JSONWebKeySet) {}

  async line(line: ExportHeaderLine | ExportCheckpointLine | ExportEntryLine): Promise<void> {
    if (!this.header) {
      if (line.type !== "export" || line.format !== EXPORT_FORMAT) throw new ExportBroken("malformed", `the first line must describe an export of format ${EXPORT_FORMAT}`);
      this.header = line;
      this.range = { from: Date.parse(line.createdAfter), to: Date.parse(line.createdBefore) };
      return;
    }
    if (line.type === "checkpoint") {
      if (this.checkpointsRead) throw new ExportBroken("malformed", "checkpoints must come before the entries");
      const before = this.checkpoints.at(-1);
      if (before && BigInt(line.seq) <= BigInt(before.seq)) throw new ExportBroken("malformed", `checkpoint ${line.seq} comes after checkpoint ${before.seq}`);
      this.checkpoints.push(line);
      return;
    }
    if (line.type !== "entry") throw new ExportBroken("malformed", "an export has one header line");
    if (!this.checkpointsRead) await this.readCheckpoints();
    this.entry(line);
  }

  async finish(): Promise<void> {
    if (!this.header) throw new ExportBroken("malformed", "the export is empty");
    if (!this.checkpointsRead) await this.readCheckpoints();
    this.endRun();
  }

  report(): ExportCheck {
    return { valid: true, complete: this.openEnded.length === 0, entries: this.entries, allEntries: this.allEntries, lanes: this.lanes.size, checkpoints: this.checkpoints.length, openEndedLanes: this.openEnded };
  }

  /** readCheckpoints verifies every checkpoint, and the chain of each run of consecutive ones. */
  private async readCheckpoints(): Promise<void> {
    this.checkpointsRead = true;
    for (const block of consecutive(this.checkpoints)) {
      const reading = await readCheckpoints(block.map((c) => c.jws), this.jwks, "any");
      if (reading.invalidAt !== undefined) {
        throw new ExportBroken("checkpoint_invalid", `checkpoint ${block[reading.invalidAt]!.seq} does not verify with the keys given or does not chain to the one before it`);
      }
    }
    for (const { jws } of this.checkpoints) {
      const payload = signedPayload(jws);
      note(this.signed, payload.heads, payload.iat);
      note(this.cuts, payload.cut ?? [], payload.iat);
    }
  }

  private entry(line: ExportEntryLine): void {
    const { lane, entry } = line;
    if (this.run?.lane !== lane) this.startRun(line);
    const run = this.run!;
    const seq = BigInt(line.laneSeq);
    const prevHash = Buffer.from(line.prevHash, "hex");
    if (seq !== run.nextSeq) throw new ExportBroken("entries_missing", `entry ${line.laneSeq} of ${lane} does not follow entry ${run.nextSeq - 1n}`, lane, entry.id);
    if (!prevHash.equals(run.prevHash)) throw new ExportBroken("link_broken", `entry ${line.laneSeq} of ${lane} does not chain to the entry before it`, lane, entry.id);
    if (auditHash(prevHash, importedRecord(entry)).toString("hex") !== line.hash) {
      throw new ExportBroken("content_changed", `entry ${line.laneSeq} of ${lane} does not match its hash`, lane, entry.id);
    }
    const at = Date.parse(entry.createdAt);
    const inRange = at >= this.range.from && at < this.range.to;
    if (line.inRange !== inRange) throw new ExportBroken("malformed", `entry ${line.laneSeq} of ${lane} is marked ${line.inRange ? "in" : "outside"} the range it is ${inRange ? "in" : "outside"}`, lane, entry.id);
    if (at < run.lastAt) throw new ExportBroken("malformed", `entry ${line.laneSeq} of ${lane} is dated before the entry it follows`, lane, entry.id);
    const organizationId = this.header!.organizationId;
    if (inRange && organizationId !== null && entry.organizationId !== organizationId) {
      throw new ExportBroken("out_of_scope", `entry ${line.laneSeq} of ${lane} is not about organization ${organizationId}`, lane, entry.id);
    }
    this.allEntries++;
    if (inRange) {
      this.entries++;
      run.inRange++;
    }
    if (at >= this.range.to) run.pastRange = true;
    Object.assign(run, { nextSeq: seq + 1n, prevHash: Buffer.from(line.hash, "hex"), lastSeq: seq, lastHash: line.hash, lastAt: at });
  }

  /** startRun checks that nothing before a lane's run was left out of the range. */
  private startRun(line: ExportEntryLine): void {
    this.endRun();
    const { lane, entry } = line;
    if (this.lanes.has(lane)) throw new ExportBroken("malformed", `the entries of ${lane} are not together`, lane, entry.id);
    const organizationId = this.header!.organizationId;
    if (organizationId !== null && lane !== organizationLane(organizationId)) throw new ExportBroken("out_of_scope", `${lane} is not the lane of organization ${organizationId}`, lane, entry.id);
    this.lanes.add(lane);
    const seq = BigInt(line.laneSeq);
    const beforeRange = Date.parse(entry.createdAt) < this.range.from;
    const fromGenesis = seq === 1n && line.prevHash === GENESIS_HASH.toString("hex");
    const afterCut = this.cuts.get(lane)?.get((seq - 1n).toString())?.hash === line.prevHash;
    if (!beforeRange && !fromGenesis && !afterCut) {
      throw new ExportBroken("start_unproven", `${lane} starts at entry ${line.laneSeq} with nothing to show no entry of the range came before it`, lane, entry.id);
    }
    this.run = { lane, nextSeq: seq, prevHash: Buffer.from(line.prevHash, "hex"), lastSeq: 0n, lastHash: "", lastAt: 0, inRange: 0, pastRange: false };
  }

  /** endRun checks that a checkpoint vouches for the lane's run, and notes whether its end is proven. */
  private endRun(): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    if (run.inRange === 0) throw new ExportBroken("malformed", `${run.lane} has no entry in the range`, run.lane);
    const end = this.signed.get(run.lane)?.get(run.lastSeq.toString());
    if (end?.hash !== run.lastHash) throw new ExportBroken("unsigned", `no checkpoint of the export signs the last entry of ${run.lane} (${run.lastSeq})`, run.lane);
    // A checkpoint signs a lane's head as it is when signed: one made after the range shows the lane had nothing more in it.
    const headAfterRange = end.latestIat * 1000 >= this.range.to + CLOCK_MARGIN_MS;
    if (!run.pastRange && !headAfterRange) this.openEnded.push(run.lane);
  }
}

/** consecutive splits checkpoints, in order, into runs of consecutive positions. */
function consecutive(checkpoints: readonly ExportCheckpointLine[]): ExportCheckpointLine[][] {
  const blocks: ExportCheckpointLine[][] = [];
  for (const checkpoint of checkpoints) {
    const block = blocks.at(-1);
    if (block && BigInt(checkpoint.seq) === BigInt(block.at(-1)!.seq) + 1n) block.push(checkpoint);
    else blocks.push([checkpoint]);
  }
  return blocks;
}

/** SignedPoint is a lane entry checkpoints signed: its hash, and when the latest of them was signed (seconds). */
interface SignedPoint {
  hash: string;
  latestIat: number;
}

/** note records the lane entries a checkpoint signs, by lane and seq. */
function note(points: Map<string, Map<string, SignedPoint>>, signed: readonly SignedHead[], iat: number): void {
  for (const [lane, seq, hash] of signed) {
    const lanePoints = points.get(lane) ?? new Map<string, SignedPoint>();
    const known = lanePoints.get(String(seq));
    if (known && known.hash !== hash) throw new ExportBroken("checkpoint_invalid", `two checkpoints sign different hashes for entry ${seq} of ${lane}`, lane);
    lanePoints.set(String(seq), { hash, latestIat: Math.max(known?.latestIat ?? 0, iat) });
    points.set(lane, lanePoints);
  }
}
