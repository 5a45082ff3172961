// Structure-aware fuzzing of every decoder: random bytes and mutations (bit flips, byte edits,
// truncation, insertion, splices) of valid frames. A decoder passes when it never throws and
// every rejection carries a stable SPEC §14 code. Shared by the test run and `npm run fuzz`.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openBeacon } from "../src/core/beacon";
import { fromHex } from "../src/core/bytes";
import { decodeCbor } from "../src/core/cbor";
import { openDownlink } from "../src/core/downlink";
import { ErrorCode, type Result } from "../src/core/errors";
import { KeyPurpose } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";
import { openTagCommand } from "../src/core/tag-command";
import { openUplink } from "../src/core/uplink";
import { openBeaconHost } from "../src/host/beacon";
import { openDownlinkHost, openUplinkHost } from "../src/host/envelope";
import { FleetKeyring } from "../src/host/keyring";
import { ROOT, TAG_ID, UNIT_ID } from "../vectors/cases";

const CODES = new Set<string>(Object.values(ErrorCode));

/** xorshift32: tiny, seeded, reproducible. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export function mutate(next: () => number, seedFrames: Uint8Array[]): Uint8Array {
  const base = seedFrames[next() % seedFrames.length];
  const op = next() % 7;
  if (op === 0) {
    const n = next() % 64;
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = next() & 255;
    return b;
  }
  const b = base.slice();
  if (b.length === 0) return b;
  if (op === 1) {
    b[next() % b.length] ^= 1 << (next() % 8);
    return b;
  }
  if (op === 2) {
    const k = 1 + (next() % 4);
    for (let i = 0; i < k; i++) b[next() % b.length] = next() & 255;
    return b;
  }
  if (op === 3) return b.subarray(0, next() % b.length);
  if (op === 4) {
    const at = next() % (b.length + 1);
    const out = new Uint8Array(b.length + 1);
    out.set(b.subarray(0, at));
    out[at] = next() & 255;
    out.set(b.subarray(at), at + 1);
    return out;
  }
  if (op === 5) {
    const other = seedFrames[next() % seedFrames.length];
    const cut = next() % b.length;
    const cut2 = next() % (other.length + 1);
    const out = new Uint8Array(cut + other.length - cut2);
    out.set(b.subarray(0, cut));
    out.set(other.subarray(cut2), cut);
    return out;
  }
  // Interesting CBOR head bytes at a random place: lengths, tags, indefinite markers.
  const heads = [
    0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x5f, 0x9f, 0xbf, 0xff, 0xd1, 0xf7, 0xf9, 0xfb, 0x7f,
  ];
  b[next() % b.length] = heads[next() % heads.length];
  return b;
}

export interface FuzzStats {
  decoder: string;
  inputs: number;
  accepted: number;
  rejected: Record<string, number>;
}

type Decoder = (b: Uint8Array) => Result<unknown>;

export function decoders(): { name: string; seeds: Uint8Array[]; run: Decoder }[] {
  const dir = join(import.meta.dirname, "..", "vectors");
  const hexes = (f: string) =>
    JSON.parse(readFileSync(join(dir, f), "utf8")).vectors.map(
      (v: { hex: string }) => fromHex(v.hex)!,
    );
  const keyring = FleetKeyring.fromRoot(ROOT, [1]);
  const beaconKeys = (tagId: number, kv: number) => keyring.key(KeyPurpose.tagBeacon, tagId, kv);
  const cmdKey = keyring.key(KeyPurpose.tagCommand, TAG_ID, 1)!;
  const up = hexes("uplink.json");
  const down = hexes("downlink.json");
  const envelopes = up.concat(down);
  return [
    { name: "cbor (core)", seeds: envelopes, run: decodeCbor },
    {
      name: "beacon (core)",
      seeds: hexes("beacon.json"),
      run: (b) => openBeacon(sha256, 0xffff, b, beaconKeys, 0),
    },
    {
      name: "beacon (host)",
      seeds: hexes("beacon.json"),
      run: (b) => openBeaconHost(0xffff, b, beaconKeys, 0),
    },
    {
      name: "tag command (core)",
      seeds: hexes("tag-command.json"),
      run: (b) => openTagCommand(sha256, b, TAG_ID, (kv) => (kv === 1 ? cmdKey : null)),
    },
    { name: "uplink (core)", seeds: up, run: (b) => openUplink(sha256, b, keyring.lookup) },
    { name: "uplink (host)", seeds: up, run: (b) => openUplinkHost(b, keyring.lookup) },
    {
      name: "downlink (core)",
      seeds: down,
      run: (b) => openDownlink(sha256, b, UNIT_ID, keyring.lookup),
    },
    {
      name: "downlink (host)",
      seeds: down,
      run: (b) => openDownlinkHost(b, UNIT_ID, keyring.lookup),
    },
  ];
}

/** Throws on the first crash or untyped rejection, quoting the input so it can be replayed. */
export function fuzzDecoder(
  name: string,
  seeds: Uint8Array[],
  run: Decoder,
  inputs: number,
  seed: number,
): FuzzStats {
  const next = rng(seed);
  const stats: FuzzStats = { decoder: name, inputs, accepted: 0, rejected: {} };
  for (let i = 0; i < inputs; i++) {
    const input = mutate(next, seeds);
    let r: Result<unknown>;
    try {
      r = run(input);
    } catch (e) {
      throw new Error(`${name} threw on ${Buffer.from(input).toString("hex")}: ${String(e)}`);
    }
    if (r.ok) stats.accepted++;
    else {
      if (!CODES.has(r.code))
        throw new Error(
          `${name} gave unknown code ${r.code} on ${Buffer.from(input).toString("hex")}`,
        );
      stats.rejected[r.code] = (stats.rejected[r.code] ?? 0) + 1;
    }
  }
  return stats;
}
