// The tag's energy model, so the low-battery threshold and the beacon defaults can be checked by
// a test instead of trusted. Not part of the device bundle (nothing on the tag imports it).
// Sources and reasoning: README-tag.md, "Battery". Conservative figures: a warning that comes
// too early costs a cell; one that comes too late costs an alarm.

import { beaconScheduler } from "./beacon-scheduler";
import type { TagConfig } from "./tag-config";

export interface PowerModel {
  /** Board asleep, radio off, RTC running (Espruino on Puck.js: 3 µA). */
  sleepUa: number;
  /** Charge of one connectable advertising event on 3 channels, µC. */
  advertEventUc: number;
  /** JavaScript per signed frame (counter, HMAC, encode, advertise), µC. */
  frameUc: number;
  /** JavaScript per supervisor wake-up (every 20 s), µC. */
  superviseUc: number;
  supervisePeriodMs: number;
  /** One GATT connection from the unit: connect, discovery, a write, disconnect, µC. */
  connectionUc: number;
}

/** The home unit's freshness challenge as the tag pays for it (SPEC §5): a connection, then a
 * burst of `burstFrames` frames, each repeated on air `copies` times. */
export interface ChallengeLoad {
  periodMs: number;
  burstFrames: number;
  copies: number;
}

/** The load of a challenge every `periodMs` on a tag configured as `cfg` (its burst answers). */
export function challengeLoad(cfg: TagConfig, periodMs: number): ChallengeLoad {
  const spacing = cfg.burstSpacingMs;
  return {
    periodMs: periodMs,
    burstFrames: cfg.burstFrames,
    copies: Math.floor(spacing / beaconScheduler(cfg, cfg.beaconIntervalMs).airIntervalMs(spacing)),
  };
}

export function conservativeModel(): PowerModel {
  return {
    sleepUa: 3,
    // nRF52832 PS v1.1: TX 0 dBm 7.1 mA, RX 6.5 mA; per channel ~0.47 ms TX (31-byte PDU) and
    // ~0.2 ms listening for a scan/connect request; + ~1 µC crystal start-up: 3 × 4.6 + 1 ≈ 15.
    // (Espruino's own figure, 20 µA at 375 ms, implies ~6.4 µC: this is ~2× pessimistic.)
    advertEventUc: 15,
    // ~20 ms of interpreter at 8 mA (Espruino: "Run 4–8 mA processing JavaScript"). To be
    // measured on the bench (PPK2); the biggest uncertainty of the budget.
    frameUc: 160,
    superviseUc: 16, // ~2 ms at 8 mA
    supervisePeriodMs: 20000,
    // As a peripheral at a 7.5 ms interval: the connection, ~10 ATT round trips of discovery, the
    // write, the disconnect — ~15 connection events of ~0.5 ms radio at 7 mA plus start-up
    // (~4.5 µC each) ≈ 70 µC; doubled, as the advertising event, for what the model leaves out.
    connectionUc: 150,
  };
}

/** Average current the challenges add: each costs a connection and a burst. */
export function challengeCurrentUa(m: PowerModel, c: ChallengeLoad): number {
  return (
    ((m.connectionUc + c.burstFrames * (m.frameUc + c.copies * m.advertEventUc)) * 1000) /
    c.periodMs
  );
}

/** Average current at a beacon interval, each frame repeated `airCopies` times on air. */
export function averageCurrentUa(m: PowerModel, intervalMs: number, airCopies: number): number {
  const airMs = Math.max(100, intervalMs / airCopies);
  return (
    m.sleepUa +
    (m.advertEventUc * 1000) / airMs +
    (m.frameUc * 1000) / intervalMs +
    (m.superviseUc * 1000) / m.supervisePeriodMs
  );
}

/** Days a charge lasts at an average current. */
export function days(mah: number, averageUa: number): number {
  return (mah * 1000) / averageUa / 24;
}
