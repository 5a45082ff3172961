// The home unit's record writes over a sentence: how fast they filled Espruino Storage when
// every rewrite went there (before the record log), and the record log's page wear over 24
// months of the same pattern (firmware/README.md, "Records").

import { toHex } from "@em-platform/protocol/core/bytes";
import { describe, expect, it } from "vitest";
import type { Storage } from "../../hal/hal";
import { VirtualFlash } from "../../testing/virtual-flash";
import {
  encodeIdentity,
  encodeNetworkConfig,
  loadAcceptorState,
  loadNumber,
  loadOpenViolation,
  loadPairing,
  loadReceiverState,
  loadSchedule,
  loadSettings,
  RecordName,
  saveAcceptorState,
  saveNumber,
  saveOpenViolation,
  savePairing,
  saveReceiverState,
  saveSchedule,
  saveSettings,
} from "../base-records";
import { RamSegmentStore } from "../queue/ram-segment-store";
import type { Schedule, ScheduleWindow } from "../schedule/schedule";
import { recordLog } from "./record-log";

/** Jolt.js-class Storage. */
const STORAGE_BYTES = 400 * 1024;
const PAGES = 8;
const PAGE = 4096;
const DAY_S = 86400;
const T0 = 1795000000;
const TAG = 0xc0ffee;
/** One acceptor save per 64 beacons at 8 s. */
const ACCEPTOR_EVERY_S = 64 * 8;
/** Busy uplink: an envelope a minute, the counter saved every 16. */
const UPLINK_SAVE_EVERY_S = 16 * 60;
/** A command an hour. */
const DOWNLINK_EVERY_S = 3600;
const NOR_CYCLES = 10_000;

const bytes32 = (seed: number) => Uint8Array.from({ length: 32 }, (_, i) => (seed * 31 + i) & 255);

function provision(st: Storage): void {
  st.write(
    RecordName.identity,
    encodeIdentity({
      unitId: 0xa11c,
      keyVersion: 1,
      companyId: 0xffff,
      uplinkKey: bytes32(1),
      downlinkKey: bytes32(2),
      wrapKey: bytes32(3),
    }),
  );
  savePairing(st, { tagId: TAG, keyVersion: 1, beaconKey: bytes32(4) });
  st.write(
    RecordName.network,
    encodeNetworkConfig({
      brokerHost: "mqtt.example.org",
      brokerPort: 8883,
      apn: "em.m2m",
      apnUser: "",
      apnPass: "",
      centreNumbers: ["+37120000001"],
      officerNumbers: ["+37120000002", "+37120000003"],
    }),
  );
}

/** A weekly curfew schedule of `n` windows (the command path accepts up to 64). */
function schedule(version: number, n: number): Schedule {
  const ws: ScheduleWindow[] = [];
  for (let i = 0; i < n; i++)
    ws.push({ weekday: i % 7, start: 300 + Math.floor(i / 7) * 120, length: 100, kind: 1 });
  return {
    version: version,
    validFrom: T0 + version * 7 * DAY_S,
    validTo: T0 + 800 * DAY_S,
    timeZone: 1,
    grace: 300,
    windows: ws,
  };
}

/** What the unit last wrote, to check after every reboot. */
interface Written {
  acceptor: number;
  uplink: number;
  downlink: number;
  scheduleVersion: number;
  violationOpen: boolean;
  pairedTag: number;
}

/**
 * One day of the home unit's record writes, second by second as base-app.ts makes them: the
 * beacon acceptor every 64 beacons, the uplink counter every 16 envelopes at an envelope a
 * minute, the downlink counter at a command an hour, a curfew violation opened (22:00) and
 * closed (22:40), a new 64-window schedule every Monday, the settings once a month, a re-pairing
 * on day 400.
 */
function day(st: Storage, d: number, w: Written): void {
  const base = T0 + d * DAY_S;
  for (let s = 0; s < DAY_S; s++) {
    const t = base + s;
    if (t % ACCEPTOR_EVERY_S === 0) {
      w.acceptor += 64;
      saveAcceptorState(st, {
        tagId: w.pairedTag,
        keyVersion: 1,
        highest: w.acceptor,
        mac: toHex(bytes32(w.acceptor)),
        atS: t,
      });
    }
    if (t % UPLINK_SAVE_EVERY_S === 0) {
      w.uplink += 16;
      saveNumber(st, RecordName.uplinkCounter, w.uplink);
    }
    if (t % DOWNLINK_EVERY_S === 0) {
      w.downlink++;
      saveReceiverState(st, { highest: w.downlink, mac: bytes32(w.downlink), seen: 1 });
    }
    if (s === 22 * 3600) {
      saveOpenViolation(st, { start: t, version: w.scheduleVersion, stretchStart: t });
      w.violationOpen = true;
    }
    if (s === 22 * 3600 + 2400) {
      saveOpenViolation(st, null);
      w.violationOpen = false;
    }
  }
  if (d % 7 === 0) {
    w.scheduleVersion++;
    // As base-app.ts: the active schedule, then the pending one (none here).
    saveSchedule(st, RecordName.schedule, schedule(w.scheduleVersion, 64));
    saveSchedule(st, RecordName.pendingSchedule, null);
  }
  if (d % 30 === 0)
    saveSettings(st, { rangePreset: 1 + (d % 3), heartbeatS: 900, beaconIntervalS: 8 });
  if (d === 400) {
    w.pairedTag = TAG + 1;
    savePairing(st, { tagId: w.pairedTag, keyVersion: 1, beaconKey: bytes32(5) });
  }
}

function fresh(): Written {
  return {
    acceptor: 0,
    uplink: 0,
    downlink: 0,
    scheduleVersion: 0,
    violationOpen: false,
    pairedTag: TAG,
  };
}

describe("home unit records over a sentence", () => {
  it("before: every rewrite in Storage fills a Jolt.js's 400 KB in about two weeks", () => {
    const flash = new VirtualFlash(STORAGE_BYTES);
    provision(flash);
    const w = fresh();
    day(flash, 0, w);
    const perDay = flash.garbage();
    const writesPerDay = flash.writes - 3;
    let days = 1;
    while (flash.compactions === 0) day(flash, days++, w);
    console.log(
      `Storage before the record log: ${writesPerDay} rewrites/day leave ${perDay} B of garbage/day; ` +
        `400 KB is full and Espruino compacts it on its own after ${days} days (~${Math.round(365 / days)} times a year)`,
    );
    expect(days).toBeLessThan(30);
  });

  it("after: 24 months of the pattern wear the record pages far below 10,000 cycles, Storage untouched", () => {
    const storage = new VirtualFlash(STORAGE_BYTES);
    provision(storage);
    const provisioned = { writes: storage.writes, erases: storage.erases };
    const pages = new RamSegmentStore(PAGES, PAGE);
    let log = recordLog(pages, storage);
    const w = fresh();
    const DAYS = 730;
    let reboots = 0;
    for (let d = 0; d < DAYS; d++) {
      day(log, d, w);
      // A reboot every 9 days (and a half: mid-day state differs): everything comes back.
      if (d % 9 === 4) {
        log = recordLog(pages, storage);
        reboots++;
        expect(loadAcceptorState(log)!.highest).toBe(w.acceptor);
        expect(loadNumber(log, RecordName.uplinkCounter)).toBe(w.uplink);
        expect(loadReceiverState(log)!.highest).toBe(w.downlink);
        expect(loadOpenViolation(log) !== null).toBe(w.violationOpen);
        expect(loadSchedule(log, RecordName.schedule)).toEqual(schedule(w.scheduleVersion, 64));
        expect(loadPairing(log)!.tagId).toBe(w.pairedTag);
        expect(
          loadSettings(log, { rangePreset: 0, heartbeatS: 0, beaconIntervalS: 0 }).heartbeatS,
        ).toBe(900);
      }
    }
    const worst = Math.max(...pages.erases);
    const best = Math.min(...pages.erases);
    const perYear = worst / (DAYS / 365);
    const years = NOR_CYCLES / perYear;
    console.log(
      `record log, ${PAGES} × ${PAGE} B pages, ${DAYS} days, ${reboots} reboots: erases per page ` +
        `[${pages.erases.join(", ")}] (worst ${worst}, ${Math.round(perYear)}/year); ` +
        `${(pages.bytesWritten / DAYS / 1024).toFixed(1)} KB written/day; ` +
        `10,000 cycles reached after ~${Math.round(years)} years`,
    );
    expect(worst).toBeLessThan(NOR_CYCLES);
    expect(worst - best).toBeLessThanOrEqual(1);
    expect(years).toBeGreaterThan(20);
    // Espruino Storage: never written again after provisioning, so never compacted.
    expect(storage.writes).toBe(provisioned.writes);
    expect(storage.erases).toBe(provisioned.erases);
    expect(storage.compactions).toBe(0);
  });
});
