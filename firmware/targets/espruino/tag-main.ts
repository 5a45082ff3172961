// Device entry for the tag on a Puck.js-class board (nRF52832). Builds the HAL, loads the
// identity that provisioning wrote to Storage ("em.id", firmware/tag/tag-storage.ts) and starts
// the tag. Without a valid identity it says so on the console and sends no frames; the
// Bluetooth console stays available so the lab can provision it.
//
// Board wiring (README-tag.md, "Board"): strap loop D1–GND and case switch D2–GND, each with an
// external 10 MΩ pull-up to VDD (plain input mode); LED1 for identify; no buzzer.

import { TAG_COMMAND_LENGTH } from "../../../protocol/src/core/tag-command";
import { bootTag, type TagHal } from "../../tag/tag-app";
import { defaultTagConfig } from "../../tag/tag-config";
import {
  espruinoAdvertiser,
  espruinoBattery,
  espruinoClock,
  espruinoCommandPort,
  espruinoCrypto,
  espruinoIndicator,
  espruinoInput,
  espruinoStorage,
  espruinoWatchdog,
} from "./hal-espruino";

function main(): void {
  const hal: TagHal = {
    clock: espruinoClock(),
    storage: espruinoStorage(),
    strap: espruinoInput(D1, true, false),
    caseInput: espruinoInput(D2, true, false),
    battery: espruinoBattery(),
    advertiser: espruinoAdvertiser(),
    commands: espruinoCommandPort(TAG_COMMAND_LENGTH),
    watchdog: espruinoWatchdog(),
    indicator: espruinoIndicator(LED1, null),
    crypto: espruinoCrypto(null), // Puck.js has SHA-256 in firmware
  };
  bootTag(hal, defaultTagConfig(), (msg) => {
    console.log(msg);
  });
}

main();
