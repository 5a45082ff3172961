// When the next frame goes out. Pure: fed with random numbers, returns delays.
//
//   mode   | after a frame                                   | leaves the mode
//   -------+-------------------------------------------------+------------------------------
//   normal | interval ± jitter (uniform)                     | startBurst()
//   burst  | burstSpacing (the burst's frames are distinct)  | after `burstFrames` frames
//
// Each frame stays on air until the next one, repeated every gap / airCopies (clamped to what a
// BLE advertiser allows), so a frame is lost only if every copy is.

import type { TagConfig } from "./tag-config";

export const MIN_AIR_INTERVAL_MS = 100; // BLE's floor for scannable/non-connectable advertising
export const MAX_AIR_INTERVAL_MS = 10000; // Espruino's ceiling for NRF.setAdvertising

export interface BeaconScheduler {
  /** The nominal interval in force, ms (a field: the app sets it on a command). */
  intervalMs: number;
  /** A flag changed: the next frame goes at once and starts a burst. */
  startBurst(): void;
  /** A frame is going out now. rand16: uniform 0…65535. Returns ms until the next frame. */
  next(rand16: number): number;
  /** How often the radio repeats a frame that stays current for gapMs. */
  airIntervalMs(gapMs: number): number;
}

export function beaconScheduler(cfg: TagConfig, intervalMs: number): BeaconScheduler {
  let burstLeft = 0; // frames still to send in the current burst, counting the one about to go
  const s: BeaconScheduler = {
    intervalMs: intervalMs,
    startBurst: () => {
      burstLeft = cfg.burstFrames;
    },
    next: (rand16) => {
      if (burstLeft > 0 && --burstLeft > 0) return cfg.burstSpacingMs;
      const span = Math.floor((s.intervalMs * cfg.jitterPct) / 100);
      return s.intervalMs - span + Math.floor((rand16 * (2 * span + 1)) / 65536);
    },
    airIntervalMs: (gapMs) =>
      Math.max(
        MIN_AIR_INTERVAL_MS,
        Math.min(MAX_AIR_INTERVAL_MS, Math.floor(gapMs / cfg.airCopies)),
      ),
  };
  return s;
}
