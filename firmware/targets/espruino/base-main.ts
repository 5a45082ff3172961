// Device entry for the home unit on an nRF52840 module board running Espruino (e.g. an
// MDBT50Q breakout; the RAM budget is checked against Jolt.js's 12,000 variables, but Jolt.js's
// own pins differ — its LEDs sit on D6/D8 — so a Jolt.js needs its own pin map) with a SIM800
// on Serial1. SHA-256 comes from require("crypto") where the build has it, else from the
// protocol's pure-JS one (Jolt.js's build lists no CRYPTO library). Builds the HAL, boots the app from the provisioned records (identity,
// pairing, network) and starts the GSM uplink. Without an identity it monitors nothing and says
// so; without a network record it monitors and queues in flash, and says it cannot send.
// Flash: the event queue on 64 free raw pages, the records the unit rewrites on the next 8
// (RecordLog; reads of a name it never wrote fall through to the provisioned Storage files).
//
// Board wiring (firmware/README.md, "Home unit board"): SIM800 RX/TX on D5/D6 at 115,200 baud,
// its RESET on D8 (active low); mains sense on D3 (high while mains is present, through a
// divider); case switch D4 to GND (closed = case shut); the subject's button D10 to GND; an
// active buzzer on D9; the backup cell on D31 through a 1:2 divider; LED1.

import { sha256 } from "../../../protocol/src/core/sha256";
import { type BaseApp, type BaseHal, bootBase, type UplinkTransport } from "../../base/base-app";
import { loadIdentity, loadNetworkConfig } from "../../base/base-records";
import { RamSegmentStore } from "../../base/queue/ram-segment-store";
import type { SegmentStore } from "../../base/queue/segment-store";
import { recordLog } from "../../base/records/record-log";
import { DEFAULT_SMS_AFTER_MS, HomeUplink } from "../../base/uplink/home-uplink";
import type { Storage } from "../../hal/hal";
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
const MODEM_BAUD = 115200;
const MODEM_RESET_MS = 200;

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

function main(): void {
  const clock = espruinoClock();
  const flash = require("Flash") as unknown as EspruinoFlash;
  const queueAt = findFreeFlash(flash, QUEUE_PAGES, 0);
  const storage = recordStore(
    flash,
    findFreeFlash(flash, RECORD_PAGES, queueAt === null ? 0 : queueAt + QUEUE_PAGES * FLASH_PAGE),
    espruinoStorage(),
  );
  const indicator = espruinoIndicator(LED1, D9);
  const crypto = espruinoCrypto(sha256);
  const hal: BaseHal = {
    clock: clock,
    storage: storage,
    queueFlash: queueStore(flash, queueAt),
    scanner: espruinoScanner(),
    mains: espruinoInput(D3, false, false),
    caseSwitch: espruinoInput(D4, true, true),
    motion: null,
    battery: espruinoRail(D31, 3600, 2),
    watchdog: espruinoWatchdog(),
    indicator: indicator,
    crypto: crypto,
    tagLink: espruinoTagLink(),
    restart: espruinoRestart(),
  };
  const id = loadIdentity(storage);
  // A provisioned unit holds keys (em.unit, em.pair): nobody in radio range may reach its
  // JavaScript console. Re-provisioning goes over the wired console, inside the case, whose
  // opening is a case_tamper alarm. An unprovisioned unit keeps it for the lab.
  if (id !== null) NRF.setServices({}, { uart: false });
  const net = loadNetworkConfig(storage);
  let uplink: HomeUplink | null = null;
  let transport: UplinkTransport = { ready: () => false, send: (_e, done) => done(false) };
  if (net === null) log("EM home unit: no network record (em.net); events stay queued in flash");
  else if (id !== null) {
    uplink = new HomeUplink(
      {
        uart: espruinoUart(MODEM_BAUD, D5, D6),
        clock: clock,
        random: () => (E.hwRand() >>> 0) / 4294967296,
        resetModem: (done) => {
          digitalWrite(D8, false);
          clock.setTimeout(() => {
            digitalWrite(D8, true);
            done();
          }, MODEM_RESET_MS);
        },
        indicator: indicator,
        button: espruinoInput(D10, true, true),
      },
      id.unitId,
      {
        brokerHost: net.brokerHost,
        brokerPort: net.brokerPort,
        apn: net.apn,
        apnUser: net.apnUser,
        apnPass: net.apnPass,
        centreNumbers: net.centreNumbers,
        officerNumbers: net.officerNumbers,
        smsAfterMs: DEFAULT_SMS_AFTER_MS,
        keepAliveS: 60,
      },
    );
    transport = uplink.transport;
  }
  const app: BaseApp | null = bootBase(hal, transport, espruinoBootReason(), log);
  if (app !== null && uplink !== null) {
    uplink.attach(app);
    uplink.start();
  }
}

main();
