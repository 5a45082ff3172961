// npm run bench:protocol — ops/s of every frame operation on both faces, next to the raw
// node:crypto HMAC-SHA256 rate on the same input size. A script, not a test: it prints figures.

import { createHmac } from "node:crypto";
import { encodeBeacon, verifyBeacon } from "../src/core/beacon";
import { CommandCode } from "../src/core/commands";
import { openDownlink } from "../src/core/downlink";
import { EventCode } from "../src/core/events";
import { KeyPurpose } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";
import { encodeUplink, openUplink, type Uplink } from "../src/core/uplink";
import { encodeBeaconHost, verifyBeaconHost } from "../src/host/beacon";
import {
  openDownlinkHost,
  openUplinkHost,
  sealDownlinkHost,
  sealUplinkHost,
} from "../src/host/envelope";
import { FleetKeyring } from "../src/host/keyring";
import { ROOT, TAG_ID, UNIT_ID } from "../vectors/cases";

const MS = Number(process.env.BENCH_MS ?? 700);
const keyring = FleetKeyring.fromRoot(ROOT, [1]);
const bKey = keyring.key(KeyPurpose.tagBeacon, TAG_ID, 1)!;
const uKey = keyring.key(KeyPurpose.unitUplink, UNIT_ID, 1)!;
const dKey = keyring.key(KeyPurpose.unitDownlink, UNIT_ID, 1)!;

function rate(fn: () => unknown): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < MS) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

function rawHmac(size: number): number {
  const msg = new Uint8Array(size).fill(7);
  return rate(() => createHmac("sha256", uKey).update(msg).digest());
}

const fields = { tagId: TAG_ID, counter: 1234, flags: 2, batteryMv: 3000, keyVersion: 1 };
const beacon = encodeBeacon(sha256, bKey, 0xffff, fields);

const events = [];
for (let i = 0; i < 10; i++)
  events.push({
    seq: 1000 + i,
    time: 1795000000 + 60 * i,
    code: i % 2 ? EventCode.heartbeat : EventCode.leftHome,
    tagId: TAG_ID,
    data: i % 2 ? { 1: 1, 2: 3010, 3: 4010, 4: 1, 5: 112, 6: -68, 7: i, 9: 18 } : { 1: -70 },
  });
const uplink: Uplink = { unitId: UNIT_ID, counter: 77, sentAt: 1795000600, events };
const upBytes = sealUplinkHost(uKey, 1, uplink);
const downlink = {
  unitId: UNIT_ID,
  counter: 9,
  issuedAt: 1795000000,
  expiresAt: 1795086400,
  code: CommandCode.setIntervals,
  args: { 1: 900, 2: 8 },
};
const downBytes = sealDownlinkHost(dKey, 1, downlink);
// MAC_structure = envelope minus tag 17, array head, empty map and MAC (37 B) plus "MAC0" array
// head and context (6 B) and the empty external AAD (1 B).
const macInputSize = (envelope: Uint8Array) => envelope.length - 30;
const upMacInput = macInputSize(upBytes);
const downMacInput = macInputSize(downBytes);

// Each figure is measured right after the raw HMAC rate it is compared with, three times, and the
// median ratio kept: a loaded or throttling machine then moves both sides of the ratio together.
const rows: [string, string, number, number, number][] = [];
function row(op: string, face: string, inputSize: number, fn: () => unknown) {
  const runs: [number, number][] = [];
  for (let i = 0; i < 3; i++) {
    const h = rawHmac(inputSize);
    runs.push([rate(fn), h]);
  }
  runs.sort((x, y) => x[0] / x[1] - y[0] / y[1]);
  rows.push([op, face, inputSize, runs[1][0], runs[1][1]]);
}

row("beacon encode+MAC", "device", 14, () => encodeBeacon(sha256, bKey, 0xffff, fields));
row("beacon encode+MAC", "host", 14, () => encodeBeaconHost(bKey, 0xffff, fields));
row("beacon verify", "device", 14, () => verifyBeacon(sha256, bKey, 0xffff, beacon));
row("beacon verify", "host", 14, () => verifyBeaconHost(bKey, 0xffff, beacon));
row("uplink encode (10 events)", "device", upMacInput, () => encodeUplink(sha256, uKey, 1, uplink));
row("uplink encode (10 events)", "host", upMacInput, () => sealUplinkHost(uKey, 1, uplink));
row("uplink verify+decode", "device", upMacInput, () =>
  openUplink(sha256, upBytes, keyring.lookup),
);
row("uplink verify+decode", "host", upMacInput, () => openUplinkHost(upBytes, keyring.lookup));
row("downlink verify+decode", "device", downMacInput, () =>
  openDownlink(sha256, downBytes, UNIT_ID, keyring.lookup),
);
row("downlink verify+decode", "host", downMacInput, () =>
  openDownlinkHost(downBytes, UNIT_ID, keyring.lookup),
);

console.log(
  `protocol bench (node ${process.version}, ${MS} ms per figure, median of 3; uplink ${upBytes.length} B, downlink ${downBytes.length} B)`,
);
console.log("");
console.log("| operation | face | MAC input (B) | ops/s | raw HMAC ops/s | ratio to raw HMAC |");
console.log("|---|---|---|---|---|---|");
for (const [op, face, size, r, h] of rows) {
  console.log(
    `| ${op} | ${face} | ${size} | ${Math.round(r).toLocaleString("en")} | ${Math.round(h).toLocaleString("en")} | ${(r / h).toFixed(2)} |`,
  );
}
const hostUp = rows.find((r) => r[0] === "uplink verify+decode" && r[1] === "host")!;
const ratio = hostUp[3] / hostUp[4];
console.log("");
console.log(
  `goal: host uplink verify+decode >= 0.80 x raw HMAC: ${ratio.toFixed(2)} — ${ratio >= 0.8 ? "met" : "NOT met"}`,
);
