// The home unit's parts of the HAL on Espruino that the tag does not need: the BLE link that
// carries centre-signed commands to the tag, the supply-rail battery reading, the reset reason
// and the restart. The rest (clock, storage, inputs, scanner, UART, watchdog, indicator, crypto)
// is shared with the tag in hal-espruino.ts.

import { readU32BE } from "@em-platform/protocol/core/bytes";
import { BootReason } from "@em-platform/protocol/core/events";
import type { TagLink } from "../../base/base-app";
import type { AnalogInput } from "../../hal/hal";
import { COMMAND_CHARACTERISTIC, COMMAND_SERVICE } from "./hal-espruino";

/** One GATT write carries at most 20 bytes at the default MTU; the tag reassembles. */
const GATT_CHUNK = 20;

/**
 * Sends a command frame to the tag it names (SPEC §5 bytes 1…4), at the address that tag's
 * MAC-verified beacons last came from (`heard`, called by the app) — one address, of the paired
 * tag only, so a flood of adverts naming random tags costs nothing, and an advert that merely
 * names the tag cannot make the unit write a command to the sender. true means the write was
 * started: whether the tag took it shows in its next beacons (a re-armed latch clears), which is
 * what the centre watches; `sent` says when the last write request went out (where the relay
 * check starts timing). One write at a time; a second while one is under way is refused.
 */
export function espruinoTagLink(): TagLink {
  let busy = false;
  let heardTag = -1;
  let heardAt = "";
  return {
    heard: (tagId, address) => {
      heardTag = tagId;
      heardAt = address;
    },
    send: (frame, sent) => {
      const address = frame.length >= 5 && readU32BE(frame, 1) === heardTag ? heardAt : "";
      if (busy || address === "") return false;
      busy = true;
      let server: EspruinoGattServer | null = null;
      let chr: EspruinoGattCharacteristic | null = null;
      const end = (): void => {
        busy = false;
        if (server !== null)
          try {
            server.disconnect();
          } catch (_e) {
            // already gone
          }
      };
      /** Writes the chunk from `at`; the last one is announced as it goes (the relay check).
       * The end is clamped by hand: Espruino's subarray does not clamp it, and would send the
       * bytes after the frame (firmware/README.md, "Engine differences" 8). */
      const write = (at: number) => {
        const last = frame.length <= at + GATT_CHUNK;
        if (last && sent) sent();
        return (chr as EspruinoGattCharacteristic).writeValue(
          frame.subarray(at, last ? frame.length : at + GATT_CHUNK),
        );
      };
      // The shortest connection interval: the write reaches the tag within 7.5 ms of being sent.
      // Espruino throws at once when the stack refuses (another BLE task under way): not started.
      try {
        NRF.connect(address, { minInterval: 7.5, maxInterval: 7.5 })
          .then((g) => {
            server = g;
            return g.getPrimaryService(COMMAND_SERVICE);
          })
          .then((s) => s.getCharacteristic(COMMAND_CHARACTERISTIC))
          .then((c) => {
            chr = c;
            return write(0);
          })
          .then(() => (frame.length > GATT_CHUNK ? write(GATT_CHUNK) : null))
          .then(end, end);
      } catch (_e) {
        busy = false;
        return false;
      }
      return true;
    },
  };
}

/** A battery (or supply) rail through a divider on an ADC pin: mV = reading × full scale × ratio. */
export function espruinoRail(pin: EspruinoPin, fullScaleMv: number, divider: number): AnalogInput {
  return { readMv: () => Math.round(analogRead(pin) * fullScaleMv * divider) };
}

/** nRF52 POWER.RESETREAS: which reset brought us here (then cleared, so the next one is fresh). */
const RESETREAS = 0x40000400;

export function espruinoBootReason(): number {
  let r = 0;
  try {
    r = peek32(RESETREAS);
    poke32(RESETREAS, 0xffffffff);
  } catch (_e) {
    return BootReason.other;
  }
  if (r & 2) return BootReason.watchdog; // DOG
  if (r & 4) return BootReason.commanded; // SREQ: E.reboot() or reset()
  if (r & 8) return BootReason.softwareError; // LOCKUP
  if (r === 0) return BootReason.powerOn; // power-on or brown-out: the register cannot tell
  return BootReason.other; // reset pin, wake from System OFF, debugger
}

export function espruinoRestart(): () => void {
  return () => E.reboot();
}
