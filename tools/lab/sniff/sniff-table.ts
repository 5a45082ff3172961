// What `lab sniff` makes of each advertisement: the tag beacons under our company id decoded,
// verified under the fleet key when the root is given, and classified against the frames this
// sniffer heard of the same tag before (SPEC §3's strict rule: a repeat of the last frame is a
// radio duplicate, an older counter a replay) — plus one row per tag for the live table. Pure:
// time comes in with each frame, so a recorded trace replays to the same table.

import { BeaconFlag, parseBeacon } from "@em-platform/protocol/core/beacon";
import { toHex } from "@em-platform/protocol/core/bytes";
import { ECHO_COUNT_MASK } from "@em-platform/protocol/core/challenge";
import { ReceiverCounter } from "@em-platform/protocol/core/counters";
import { KeyPurpose } from "@em-platform/protocol/core/keys";
import { openBeaconHost } from "@em-platform/protocol/host/beacon";
import type { FleetKeyring } from "@em-platform/protocol/host/keyring";
import type { Advert } from "../../../simulator/radio/advert-trace";

export interface SniffedFrame {
  advert: Advert;
  tagId: number | null;
  counter: number | null;
  flags: string[];
  batteryMv: number | null;
  keyVersion: number | null;
  /** Extended beacon (SPEC §4): seconds since the strap latched, null unknown; else undefined. */
  strapLatchAgeS?: number | null;
  /** Extended beacon: the echo of the unit's last freshness challenge (SPEC §4: nonce | frames
   * since, 0 = none since boot); else undefined. */
  echo?: number;
  /** "ok", "unverified" (no root), "duplicate"/"replay"/… or the SPEC §14 code of the bytes. */
  verdict: string;
}

export interface TagRow {
  tagId: number;
  address: string;
  rssi: number;
  counter: number;
  flags: string[];
  frames: number;
  /** Frames whose verdict was not ok/unverified/duplicate. */
  rejected: number;
  lastVerdict: string;
  lastAtMs: number;
}

const FLAG_NAMES: [number, string][] = [
  [BeaconFlag.strapOpen, "strap-open"],
  [BeaconFlag.strapLatched, "strap-latched"],
  [BeaconFlag.caseOpen, "case-open"],
  [BeaconFlag.caseLatched, "case-latched"],
  [BeaconFlag.batteryLow, "battery-low"],
  [BeaconFlag.rebooted, "rebooted"],
];

/** SPEC §3 default gap bound for beacons. */
const BEACON_GAP = 1000000;

export class SniffTable {
  private readonly rows = new Map<number, TagRow>();
  private readonly counters = new Map<number, ReceiverCounter>();

  constructor(
    private readonly companyId: number,
    private readonly keyring: FleetKeyring | null,
    /** Only this tag (others are not shown); null: every tag. */
    private readonly onlyTag: number | null = null,
  ) {}

  /** The frame's reading, or null for an advertisement that is not ours to show. */
  feed(a: Advert): SniffedFrame | null {
    if (a.companyId !== this.companyId) return null;
    const p = parseBeacon(a.data);
    if (!p.ok) {
      if (this.onlyTag !== null) return null;
      return {
        advert: a,
        tagId: null,
        counter: null,
        flags: [],
        batteryMv: null,
        keyVersion: null,
        verdict: p.code,
      };
    }
    const b = p.value;
    if (this.onlyTag !== null && b.tagId !== this.onlyTag) return null;
    let verdict = "unverified";
    if (this.keyring !== null) {
      const k = this.keyring;
      const v = openBeaconHost(
        this.companyId,
        a.data,
        (tag, kv) => k.key(KeyPurpose.tagBeacon, tag, kv),
        0,
      );
      if (!v.ok) verdict = v.code;
      else {
        let c = this.counters.get(b.tagId);
        if (c === undefined) {
          c = new ReceiverCounter(BEACON_GAP);
          this.counters.set(b.tagId, c);
        }
        const fresh = c.check(b.counter, b.mac);
        verdict = fresh.ok ? "ok" : fresh.code;
      }
    }
    const frame: SniffedFrame = {
      advert: a,
      tagId: b.tagId,
      counter: b.counter,
      flags: FLAG_NAMES.filter(([m]) => (b.flags & m) !== 0).map(([, n]) => n),
      batteryMv: b.batteryMv,
      keyVersion: b.keyVersion,
      strapLatchAgeS: b.strapLatchAgeS,
      echo: b.echo,
      verdict,
    };
    this.remember(frame, b.tagId);
    return frame;
  }

  /** One row per tag heard, by tag id. */
  table(): TagRow[] {
    return Array.from(this.rows.values()).sort((x, y) => x.tagId - y.tagId);
  }

  private remember(f: SniffedFrame, tagId: number): void {
    let r = this.rows.get(tagId);
    if (r === undefined) {
      r = {
        tagId,
        address: "",
        rssi: 0,
        counter: 0,
        flags: [],
        frames: 0,
        rejected: 0,
        lastVerdict: "",
        lastAtMs: 0,
      };
      this.rows.set(tagId, r);
    }
    r.frames++;
    const accepted = f.verdict === "ok" || f.verdict === "unverified" || f.verdict === "duplicate";
    if (!accepted) r.rejected++;
    r.lastVerdict = f.verdict;
    r.lastAtMs = f.advert.atMs;
    r.address = f.advert.address;
    r.rssi = f.advert.rssi;
    // A rejected frame says nothing true about the tag: its counter and flags are not taken.
    if (accepted && f.counter !== null) {
      r.counter = f.counter;
      r.flags = f.flags;
    }
  }
}

/** 14402 → "4h00m02s". */
function hms(s: number): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m${two(s % 60)}s`;
}

export function describeFrame(f: SniffedFrame): string {
  const t = (f.advert.atMs / 1000).toFixed(3).padStart(9);
  const tag = f.tagId === null ? "?".padEnd(10) : "0x" + f.tagId.toString(16).padStart(8, "0");
  const parts = [t, f.advert.address.padEnd(17), String(f.advert.rssi).padStart(4) + " dBm", tag];
  if (f.counter !== null)
    parts.push(
      "#" + f.counter,
      f.flags.join("+") || "-",
      f.batteryMv === null ? "bat ?" : "bat " + f.batteryMv + " mV",
      "kv " + f.keyVersion,
    );
  if (f.strapLatchAgeS === null) parts.push("cut ? ago");
  else if (f.strapLatchAgeS !== undefined && f.strapLatchAgeS > 0)
    parts.push("cut " + hms(f.strapLatchAgeS) + " ago");
  else parts.push(toHex(f.advert.data));
  // The relay check at work: which challenge the tag answers, and how many frames it sent since.
  if (f.echo !== undefined && f.echo !== 0)
    parts.push(
      `challenge 0x${(f.echo & ~ECHO_COUNT_MASK).toString(16).padStart(4, "0")}, ${f.echo & ECHO_COUNT_MASK} frames since`,
    );
  parts.push(f.verdict);
  return parts.join("  ");
}
