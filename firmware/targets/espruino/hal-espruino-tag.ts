// The tag's HAL on Espruino (Puck.js-class board): only what `TagHal` asks for, each part as
// small as it can be, because the tag bundle has 8 KB. The home unit's fuller bindings are in
// hal-espruino.ts; this file shares its clock base and timer helpers, so both tell the same time.
//
// Board (README-tag.md, "Board"): strap loop D1–GND and case switch D2–GND, each with an external
// 10 MΩ pull-up (plain input mode, a cut loop reads high); LED1 for identify, no buzzer;
// require("crypto").SHA256 in firmware; the counter log on free raw flash pages
// (require("Flash"), outside Storage), or in Storage files when there are none.

import { TAG_COMMAND_LENGTH } from "@em-platform/protocol/core/tag-command";
import type { TagHal, TagInput } from "../../tag/tag-app";
import type { TagStorage } from "../../tag/tag-storage";
import {
  COMMAND_CHARACTERISTIC,
  COMMAND_SERVICE,
  clearTimer,
  espSetInterval,
  espSetTimeout,
  monotonicOf,
} from "./hal-espruino";
import { counterFlash } from "./tag-flash";

/** A loop or switch to GND with an external pull-up: true = closed (the pin reads 0). */
function loopInput(pin: EspruinoPin): TagInput {
  pinMode(pin, "input");
  return {
    read: () => !pin.read(),
    // The tag watches each input once, so no handle is kept to replace a watch.
    watch: (debounceMs, fn) => {
      setWatch((e) => fn(!e.state, monotonicOf(e.time)), pin, {
        repeat: true,
        edge: "both",
        debounce: debounceMs,
      });
    },
  };
}

export function espruinoTagHal(): TagHal {
  const flash = require("Storage") as unknown as EspruinoStorage;
  /** Storage.write(name, data, offset, size) throws on a refused write; the HAL says false. */
  function flashWrite(name: string, data: Uint8Array, offset: number, size: number): boolean {
    try {
      return flash.write(name, data, offset, size);
    } catch (_e) {
      return false;
    }
  }
  // biome-ignore lint/style/useNodejsImportProtocol: Espruino's crypto module, not Node's
  const crypto = require("crypto") as unknown as EspruinoCrypto;
  let blink = 0;
  const storage: TagStorage = {
    read: (name) => {
      const b = flash.readArrayBuffer(name);
      return b === undefined ? null : new Uint8Array(b);
    },
    create: (name, size, head) => flashWrite(name, head, 0, size),
    // offset 0 would create a new file: never from here.
    writeAt: (name, offset, data) => offset > 0 && flashWrite(name, data, offset, 0),
  };
  return {
    clock: {
      monotonic: () => monotonicOf(getTime()),
      setTimeout: espSetTimeout,
      clearTimeout: clearTimer,
      setInterval: espSetInterval,
    },
    storage: storage,
    counterPages: counterFlash(require("Flash") as unknown as EspruinoFlash),
    strap: loopInput(D1),
    caseInput: loopInput(D2),
    // VDD straight from the coin cell.
    battery: { readMv: () => Math.round(NRF.getBattery() * 1000) },
    advertiser: {
      advertise: (companyId, data, intervalMs, connectable) =>
        NRF.setAdvertising(
          {},
          {
            showName: false, // flags (3) + manufacturer data (4 + 20) fit the 31 bytes
            manufacturer: companyId,
            manufacturerData: data,
            interval: intervalMs,
            connectable: connectable,
            scannable: connectable,
            whenConnected: true, // a connected central must not silence the beacons
          },
        ),
    },
    // Listening removes the Bluetooth console (uart: false): a provisioned tag cannot be
    // reprogrammed or read over the air.
    commands: {
      listen: (fn) => {
        const chars: { [uuid: string]: EspruinoCharacteristic } = {};
        chars[COMMAND_CHARACTERISTIC] = {
          value: [0],
          maxLen: TAG_COMMAND_LENGTH,
          writable: true,
          onWrite: (evt) => fn(new Uint8Array(evt.data)),
        };
        const services: { [uuid: string]: { [uuid: string]: EspruinoCharacteristic } } = {};
        services[COMMAND_SERVICE] = chars;
        NRF.setServices(services, { uart: false });
      },
    },
    watchdog: {
      start: (timeoutMs) => E.enableWatchdog(timeoutMs / 1000, false),
      kick: () => E.kickWatchdog(),
    },
    // LED1 only: a Puck.js has no buzzer. A new pattern replaces a running one.
    indicator: {
      signal: (p) => {
        let n = Math.floor(p.totalMs / (p.onMs + p.offMs));
        clearTimer(blink);
        blink = espSetInterval(() => {
          if (n-- > 0) digitalPulse(LED1, true, p.onMs);
          else {
            clearTimer(blink);
            blink = 0;
          }
        }, p.onMs + p.offMs);
      },
    },
    crypto: {
      sha256: (d) => new Uint8Array(crypto.SHA256(d)),
      randomBytes: (n) => {
        const b = new Uint8Array(n);
        for (let i = 0; i < n; i++) b[i] = E.hwRand();
        return b;
      },
    },
  };
}
