// Host side of the JsVar estimate (the model and the walk are in jsvar-model.ts): instruments a
// bundle so closure scopes can be walked, runs it in the device realm (run-bundle.ts) on the fake
// Espruino globals under virtual time, and returns the counts: the tag's after it has booted and
// settled, the home unit's along a busy hour (busyHourScript).

import * as acorn from "acorn";
import { encodeIdentity, encodeNetworkConfig, savePairing } from "../../firmware/base/base-records";
import type { Storage } from "../../firmware/hal/hal";
import { BeaconFlag } from "../../protocol/src/core/beacon";
import { toHex } from "../../protocol/src/core/bytes";
import { CommandCode } from "../../protocol/src/core/commands";
import { encodeDownlink } from "../../protocol/src/core/downlink";
import { deriveKey, KeyPurpose } from "../../protocol/src/core/keys";
import { sha256 } from "../../protocol/src/core/sha256";
import { RearmMask, TagCommandCode } from "../../protocol/src/core/tag-command";
import { downlinkTopic } from "../../protocol/src/core/topics";
import { encodeBeaconHost, encodeTagCommandHost } from "../../protocol/src/host/beacon";
import { children, type Node } from "./ast";
import { compileBundle } from "./firmware-build";
import { JOLT_LAYOUT, type JsVarCount } from "./jsvar-model";
import { runBundle } from "./run-bundle";

/** Puck.js-class board (DEVICE-JS.md): 2,630 JsVars of 13 bytes. */
export const PUCK_JSVARS = 2630;
/**
 * Jolt.js, the home unit's nRF52840-class board: 12,000 JsVars ('variables' in Espruino's
 * boards/JOLTJS.py), of 14 bytes (14-bit references: src/jsutils.h), ~164 KB of its 256 KB RAM.
 */
export const JOLT_JSVARS = 12000;

/** Names a function's scope holds: parameters, `var`s and function declarations (not nested). */
function scopeNames(fn: Node): string[] {
  const names: string[] = (fn.params as Node[]).map((p) => p.name as string);
  const visit = (n: Node): void => {
    if (n.type === "VariableDeclarator") names.push((n.id as Node).name as string);
    if (n.type === "FunctionDeclaration") names.push((n.id as Node).name as string);
    if (n.type === "FunctionDeclaration" || n.type === "FunctionExpression") return;
    for (const c of children(n)) visit(c);
  };
  for (const s of (fn.body as Node).body as Node[]) visit(s);
  return names.filter((x, i) => names.indexOf(x) === i);
}

/**
 * Every function registers its scope on entry (`var __s = __jsvScope(…)`, with a getter that
 * reads its locals later) and every function object is tied to the scope it was made in
 * (`__jsvFn(fn, __s)`): what a walk needs to see closures as Espruino keeps them.
 */
export function instrumentScopes(code: string): string {
  const ast = acorn.parse(code, { ecmaVersion: 5 }) as unknown as Node;
  const edits: { at: number; text: string; order: number }[] = [];
  const walk = (n: Node): void => {
    if (n.type === "FunctionDeclaration" || n.type === "FunctionExpression") {
      const names = scopeNames(n);
      const body = n.body as Node;
      const decls = ((body.body as Node[]) ?? [])
        .filter((s) => s.type === "FunctionDeclaration")
        .map((s) => "__jsvFn(" + (s.id as Node).name + ",__s);")
        .join("");
      edits.push({
        at: body.start + 1,
        order: 1,
        text:
          "var __s=__jsvScope(arguments.callee,function(){return[" +
          names.join(",") +
          ']},"' +
          names.join(",") +
          '");' +
          decls,
      });
      if (n.type === "FunctionExpression") {
        edits.push({ at: n.start, order: 2, text: "__jsvFn(" });
        edits.push({ at: n.end, order: 0, text: ",__s)" });
      }
    }
    for (const c of children(n)) walk(c);
  };
  walk(ast);
  // From the end, so positions stay valid; at one position closers go before openers.
  edits.sort((a, b) => b.at - a.at || a.order - b.order);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.at);
  return out;
}

/**
 * Boots the tag bundle on the fake board with `identityHex` as em.id, lets it run `settleMs` of
 * virtual time, and counts the JsVars it holds.
 */
export async function estimateTagJsVars(
  tagCode: string,
  identityHex: string,
  settleMs: number,
): Promise<JsVarCount> {
  const fake = (
    await compileBundle(new URL("espruino-fake.ts", import.meta.url).pathname, "EspruinoFake")
  ).readable;
  const prelude = `${fake}\nEspruinoFake.install();\nEspruinoFake.provision("em.id", "${identityHex}");\n`;
  const r = runBundle(
    `${instrumentScopes(tagCode)}\nEspruinoFake.advance(${settleMs});\nprint(EspruinoFake.jsvars());\n`,
    { prelude, timeoutMs: 30_000 },
  );
  if (r.exitCode !== 0 || r.stderr !== "") throw new Error("JsVar run failed: " + r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as JsVarCount;
}

/** One estimate taken during a run. */
export interface JsVarSample {
  label: string;
  atMs: number;
  count: JsVarCount;
}

/**
 * Runs an instrumented bundle on the fake board: `setup` after the fake is installed (provisioning
 * and the like), then the bundle, then `script`, in which `__sample(label, atMs)` takes an
 * estimate with the Jolt.js layout (atMs: the virtual time it is taken at, for the record).
 * Returns the samples and the fake's report (EspruinoFake.report()).
 */
export async function sampleUnitJsVars(
  code: string,
  setup: string,
  script: string,
): Promise<{ samples: JsVarSample[]; report: UnitReport }> {
  const fake = (
    await compileBundle(new URL("espruino-fake.ts", import.meta.url).pathname, "EspruinoFake")
  ).readable;
  const prelude =
    `${fake}\nEspruinoFake.install();\n${setup}\n` +
    `function __sample(label, atMs) { print("jsv\\t" + label + "\\t" + atMs + "\\t" + ` +
    `EspruinoFake.jsvars(${JSON.stringify(JOLT_LAYOUT)})); }\n`;
  const r = runBundle(`${instrumentScopes(code)}\n${script}\nprint(EspruinoFake.report());\n`, {
    prelude,
    timeoutMs: 60_000,
  });
  if (r.exitCode !== 0 || r.stderr !== "") throw new Error("JsVar run failed: " + r.stderr);
  const lines = r.stdout.trim().split("\n");
  const samples: JsVarSample[] = [];
  for (const l of lines) {
    const f = l.split("\t");
    if (f[0] === "jsv")
      samples.push({ label: f[1], atMs: Number(f[2]), count: JSON.parse(f[3]) as JsVarCount });
  }
  return { samples, report: JSON.parse(lines[lines.length - 1]) as UnitReport };
}

/** What the checks of a home-unit run read from EspruinoFake.report(). */
export interface UnitReport {
  nowMs: number;
  logs: string[];
  rebootedAt: number;
  watchdog: { timeoutMs: number; kicks: number; bittenAt: number };
  modem: {
    unknown: string[];
    connects: string[];
    packets: { atMs: number; type: number; hex: string }[];
  };
  gatt: { atMs: number; address: string; writes: unknown[]; disconnected: boolean }[];
}

// ---- the home unit's busy hour ----

/** The unit, its paired tag and their keys (from an all-zero root: a test fleet). */
export const BUSY_UNIT = {
  root: new Uint8Array(32),
  unitId: 0xa11c,
  tagId: 0xc0ffee,
  companyId: 0xffff,
  tagAddress: "c0:ff:ee:00:00:01 random",
  /** The scripted modem's +CCLK (fake-sim800.ts): 2026-11-23 08:00:00 UTC. */
  networkUtcS: Date.UTC(2026, 10, 23, 8, 0, 0) / 1000,
};

export function busyUnitKey(purpose: number, device: number): Uint8Array {
  return deriveKey(sha256, BUSY_UNIT.root, purpose, device, 1);
}

const MIN = 60_000;
const BEACON_EVERY_MS = 8000;
/** The broker is gone from 15 to 25 min; meanwhile mains flaps 50 times: 100 queued events. */
const OUTAGE_FROM_MS = 15 * MIN;
const OUTAGE_TO_MS = 25 * MIN;
const FLAPS = 50;
const FLAP_FROM_MS = 16 * MIN;
/** Mains off 4 s, on 4 s: past the unit's 2 s debounce, so each edge is an event. */
const FLAP_HALF_MS = 4000;
/** The "online" status and the first three uplinks of the backlog. */
export const DRAIN_SAMPLES = 4;

/** Storage records as provisioning writes them (base-records.ts encoders), as hex. */
function busyUnitFiles(): { [name: string]: string } {
  const u = BUSY_UNIT;
  const files: { [name: string]: Uint8Array } = {};
  const shim = {
    write: (name: string, data: Uint8Array) => {
      files[name] = data;
      return true;
    },
  };
  savePairing(shim as unknown as Storage, {
    tagId: u.tagId,
    keyVersion: 1,
    beaconKey: busyUnitKey(KeyPurpose.tagBeacon, u.tagId),
  });
  files["em.unit"] = encodeIdentity({
    unitId: u.unitId,
    keyVersion: 1,
    companyId: u.companyId,
    uplinkKey: busyUnitKey(KeyPurpose.unitUplink, u.unitId),
    downlinkKey: busyUnitKey(KeyPurpose.unitDownlink, u.unitId),
    wrapKey: busyUnitKey(KeyPurpose.unitKeyWrap, u.unitId),
  });
  files["em.net"] = encodeNetworkConfig({
    brokerHost: "mqtt.centre.example",
    brokerPort: 8883,
    apn: "em.m2m",
    apnUser: "unit",
    apnPass: "s3cret",
    centreNumbers: ["+37120000001"],
    officerNumbers: ["+37120000002"],
  });
  const out: { [name: string]: string } = {};
  for (const name of Object.keys(files)) out[name] = toHex(files[name]);
  return out;
}

/** The provisioning and reset reason the busy hour boots with (EspruinoFake calls). */
export function busyHourSetup(): string {
  const files = busyUnitFiles();
  let setup = "EspruinoFake.setResetReason(4);\n"; // SREQ: the last reset was E.reboot()
  for (const name of Object.keys(files))
    setup += `EspruinoFake.provision("${name}", "${files[name]}");\n`;
  return setup;
}

/**
 * A busy hour for the home unit, as a script for the fake: online by 1 min; the paired tag's
 * beacon every 8 s throughout; in each half hour a strap cut (beacons flag it) that the centre
 * re-arms with a downlink forwarded to the tag over GATT, a forged beacon, the case opened and
 * shut; a status request at 40 min; from 15 to 25 min the broker is unreachable while mains
 * flaps 50 times, so 100 mains events (and whatever else happens) queue in flash and drain when
 * it comes back. `__sample` is called at 1 min and every 5 min from 5 to 60 (the quarter-hour
 * heartbeat is due on the minute, so each sample is taken 30 s past it, once that is delivered),
 * and as the first DRAIN_SAMPLES PUBLISHes after the outage wait for their PUBACK ("drain n"):
 * the backlog's peak, with a 32-event batch in flight.
 */
export function busyHourScript(): string {
  const u = BUSY_UNIT;
  type Action = { atMs: number; order: number; js: string };
  const acts: Action[] = [];
  const at = (atMs: number, js: string, order = 1) => acts.push({ atMs, order, js });
  let downlinks = 0;
  let tagCommands = 0;
  const downlink = (atMs: number, code: number, args: { [k: number]: Uint8Array } | null) => {
    downlinks++;
    const issuedAt = u.networkUtcS + Math.floor(atMs / 1000) - 60;
    const env = encodeDownlink(sha256, busyUnitKey(KeyPurpose.unitDownlink, u.unitId), 1, {
      unitId: u.unitId,
      counter: downlinks,
      issuedAt,
      expiresAt: issuedAt + 3600,
      code,
      args,
    });
    at(
      atMs,
      `EspruinoFake.brokerPublish("${downlinkTopic(u.unitId)}", "${toHex(env)}", ${downlinks});`,
    );
  };
  const rearm = (atMs: number) => {
    tagCommands++;
    const frame = encodeTagCommandHost(busyUnitKey(KeyPurpose.tagCommand, u.tagId), {
      tagId: u.tagId,
      counter: tagCommands,
      keyVersion: 1,
      code: TagCommandCode.rearm,
      arg: RearmMask.strap,
    });
    downlink(atMs, CommandCode.rearmTag, { 1: frame });
  };
  // Strap cut until the rearm has reached the tag (10 s after the downlink).
  const cuts = [
    { from: 4 * MIN, rearmAt: 6 * MIN },
    { from: 34 * MIN, rearmAt: 36 * MIN },
  ];
  let counter = 0;
  for (let t = BEACON_EVERY_MS; t <= 60 * MIN + 30_000; t += BEACON_EVERY_MS) {
    const cut = cuts.some((c) => t >= c.from && t < c.rearmAt + 10_000);
    const flags = cut ? BeaconFlag.strapOpen | BeaconFlag.strapLatched : 0;
    const b = encodeBeaconHost(busyUnitKey(KeyPurpose.tagBeacon, u.tagId), u.companyId, {
      tagId: u.tagId,
      counter: ++counter,
      flags,
      batteryMv: 3000,
      keyVersion: 1,
    });
    at(t, `EspruinoFake.advertise("${u.tagAddress}", -61, ${u.companyId}, "${toHex(b)}");`);
  }
  for (const c of cuts) {
    rearm(c.rearmAt);
    const forged = encodeBeaconHost(busyUnitKey(KeyPurpose.tagBeacon, u.tagId), u.companyId, {
      tagId: u.tagId,
      counter: 0xffff,
      flags: 0,
      batteryMv: 3000,
      keyVersion: 1,
    });
    forged[19] ^= 1; // a MAC byte
    at(
      c.from + 4 * MIN + 4000,
      `EspruinoFake.advertise("${u.tagAddress}", -61, ${u.companyId}, "${toHex(forged)}");`,
    );
    at(c.from + 6 * MIN + 4000, `EspruinoFake.setPin("D4", true);`); // case opened
    at(c.from + 7 * MIN + 4000, `EspruinoFake.setPin("D4", false);`);
  }
  downlink(40 * MIN + 4000, CommandCode.requestStatus, null);
  at(OUTAGE_FROM_MS, "EspruinoFake.brokerReachable(false);");
  at(OUTAGE_TO_MS, "EspruinoFake.brokerReachable(true);");
  for (let i = 0; i < FLAPS; i++) {
    const t = FLAP_FROM_MS + i * 2 * FLAP_HALF_MS;
    at(t, `EspruinoFake.setPin("D3", false);`);
    at(t + FLAP_HALF_MS, `EspruinoFake.setPin("D3", true);`);
  }
  at(
    0,
    `var __drains = 0; EspruinoFake.onBrokerPacket(function (type, atMs) {` +
      ` if (type === 3 && atMs > ${OUTAGE_TO_MS} && __drains < ${DRAIN_SAMPLES})` +
      ` { __drains++; __sample("drain " + __drains, atMs + 20); } });`,
  );
  at(MIN, `__sample("online", ${MIN});`, 2);
  for (let m = 5; m <= 60; m += 5) {
    const t = m * MIN + 30_000;
    at(t, `__sample("${m} min", ${t});`, 2);
  }
  acts.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  let now = 0;
  let js = "";
  for (const a of acts) {
    if (a.atMs > now) js += `EspruinoFake.advance(${a.atMs - now});\n`;
    now = a.atMs;
    js += a.js + "\n";
  }
  return js;
}

/** The home unit's JsVars along its busy hour (busyHourScript), with the Jolt.js layout. */
export async function estimateBaseJsVars(
  baseCode: string,
): Promise<{ samples: JsVarSample[]; report: UnitReport }> {
  return sampleUnitJsVars(baseCode, busyHourSetup(), busyHourScript());
}
