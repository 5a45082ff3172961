// Device entry for the home unit on an nRF52840 module board running Espruino (e.g. an
// MDBT50Q breakout; the RAM budget is checked against Jolt.js's 12,000 variables, but Jolt.js's
// own pins differ, so a Jolt.js needs its own BOARD) with a SIM800 on Serial1. SHA-256 comes
// from require("crypto") where the build has it, else from the protocol's pure-JS one (Jolt.js's
// build lists no CRYPTO library). Builds the HAL from BOARD and hands it to assembleHomeUnit
// (base/assemble-home-unit.ts), which boots the app from the provisioned records and starts the
// GSM uplink. Flash: the event queue on 64 free raw pages, the records the unit rewrites on the
// next 8 (RecordLog; reads of a name it never wrote fall through to the provisioned Storage files).

import { sha256 } from "@em-platform/protocol/core/sha256";
import { assembleHomeUnit } from "../../base/assemble-home-unit";
import type { BaseHal } from "../../base/base-app";
import { loadIdentity } from "../../base/base-records";
import { RamSegmentStore } from "../../base/queue/ram-segment-store";
import type { SegmentStore } from "../../base/queue/segment-store";
import { recordLog } from "../../base/records/record-log";
import type { UplinkHardware } from "../../base/uplink/home-uplink";
import type { Clock, Indicator, Storage } from "../../hal/hal";
import { FLASH_PAGE, FlashSegmentStore, findFreeFlash } from "./flash-segment-store";
import {
  espruinoClock,
  espruinoCrypto,
  espruinoIndicator,
  espruinoInput,
  espruinoScanner,
  espruinoStorage,
  espruinoUart,
  espruinoWatchdog,
} from "./hal-espruino";
import {
  espruinoBootReason,
  espruinoRail,
  espruinoRestart,
  espruinoTagLink,
} from "./hal-espruino-base";

/** 64 pages × 4 KB: > 10,000 alarms (firmware/README.md, "Event queue"). */
const QUEUE_PAGES = 64;
/** The records the unit rewrites, after the queue's pages (firmware/README.md, "Records"). */
const RECORD_PAGES = 8;
/** The board, once, as data: what the Espruino bindings use (prose: firmware/README.md, "Home
 * unit board"). Active-low inputs switch to GND through the internal pull-up. */
const BOARD = {
  modemRx: D5,
  modemTx: D6,
  modemBaud: 115200,
  /** Active low, pulsed this long. */
  modemReset: D8,
  modemResetMs: 200,
  /** High while mains is present. */
  mains: D3,
  /** Closed = case shut (active low). */
  caseSwitch: D4,
  /** The subject's button (active low). */
  button: D10,
  buzzer: D9,
  led: LED1,
  /** The backup cell, through a 1:2 divider, against the ADC's 3.6 V full scale. */
  battery: D31,
  batteryFullMv: 3600,
  batteryDivider: 2,
};

function log(msg: string): void {
  console.log(msg);
}

/** The queue on free flash pages; without any, a small RAM queue — and the console says so. */
function queueStore(flash: EspruinoFlash, at: number | null): SegmentStore {
  if (at !== null) return new FlashSegmentStore(flash, at, QUEUE_PAGES);
  log("EM home unit: no free flash for the event queue; events are kept in RAM only");
  return new RamSegmentStore(4, 1024);
}

/** Rewritten records in a log on the free pages after the queue; provisioned ones in Storage. */
function recordStore(flash: EspruinoFlash, at: number | null, storage: Storage): Storage {
  if (at !== null) return recordLog(new FlashSegmentStore(flash, at, RECORD_PAGES), storage);
  log("EM home unit: no free flash for the record log; records are rewritten in Storage");
  return storage;
}

/** The SIM800's wiring, built only for a unit that has an uplink to run. */
function modemWiring(clock: Clock, indicator: Indicator): UplinkHardware {
  return {
    uart: espruinoUart(BOARD.modemBaud, BOARD.modemRx, BOARD.modemTx),
    clock: clock,
    random: () => (E.hwRand() >>> 0) / 4294967296,
    resetModem: (done) => {
      digitalWrite(BOARD.modemReset, false);
      clock.setTimeout(() => {
        digitalWrite(BOARD.modemReset, true);
        done();
      }, BOARD.modemResetMs);
    },
    indicator: indicator,
    button: espruinoInput(BOARD.button, true, true),
  };
}

/**
 * A provisioned unit's wired console (inside the case) asks for the unit's console password,
 * which provisioning wrote as em.pwd (SPEC §2): without it, whoever opens the case reads
 * em.unit's keys. Locked first, so that nothing failing later in the boot leaves it open. The
 * copy (+ "") keeps the password in RAM, not pointing into a Storage file a lab may rewrite.
 */
function lockConsole(): void {
  const pwd = (require("Storage") as unknown as EspruinoStorage).read("em.pwd");
  if (pwd === undefined) return;
  E.setPassword(pwd + "");
  E.lockConsole();
}

function main(): void {
  lockConsole();
  const clock = espruinoClock();
  const flash = require("Flash") as unknown as EspruinoFlash;
  const queueAt = findFreeFlash(flash, QUEUE_PAGES, 0);
  const storage = recordStore(
    flash,
    findFreeFlash(flash, RECORD_PAGES, queueAt === null ? 0 : queueAt + QUEUE_PAGES * FLASH_PAGE),
    espruinoStorage(),
  );
  const indicator = espruinoIndicator(BOARD.led, BOARD.buzzer);
  const hal: BaseHal = {
    clock: clock,
    storage: storage,
    queueFlash: queueStore(flash, queueAt),
    scanner: espruinoScanner(),
    mains: espruinoInput(BOARD.mains, false, false),
    caseSwitch: espruinoInput(BOARD.caseSwitch, true, true),
    motion: null,
    battery: espruinoRail(BOARD.battery, BOARD.batteryFullMv, BOARD.batteryDivider),
    watchdog: espruinoWatchdog(),
    indicator: indicator,
    crypto: espruinoCrypto(sha256),
    tagLink: espruinoTagLink(),
    restart: espruinoRestart(),
  };
  // A provisioned unit holds keys (em.unit, em.pair): nobody in radio range may reach its
  // JavaScript console. Re-provisioning goes over the wired console, inside the case, whose
  // opening is a case_tamper alarm, and which asks for the password (lockConsole). An
  // unprovisioned unit keeps both open for the lab.
  if (loadIdentity(storage) !== null) NRF.setServices({}, { uart: false });
  assembleHomeUnit(hal, () => modemWiring(clock, indicator), null, espruinoBootReason(), log);
}

main();
