// The radio between a tag and the units that hear it: each frame's RSSI from the log-distance
// path loss the home unit's range presets assume (P0 −59 dBm at 1 m, exponent 2.2:
// firmware/base/presence/range-presets.ts), plus a loss per wall in the way and log-normal
// shadowing (σ 6 dB, a body-worn tag), drawn per frame; a frame below the scanner's sensitivity
// (−95 dBm) or lost to a collision (2 %) is not heard at all. Seeded: the same spot and seed give
// the same frames.

import {
  PATH_LOSS_EXPONENT,
  PATH_LOSS_P0_DBM,
  SCANNER_SENSITIVITY_DBM,
} from "../../firmware/base/presence/range-presets";
import { seeded } from "../scenario/seeded-random";

/** Where the tag is, seen from one unit. */
export interface Spot {
  distanceM: number;
  /** Walls between the tag and the unit. */
  walls: number;
}

export interface MediumOptions {
  p0Dbm: number;
  exponent: number;
  /** dB per wall (6: a brick or concrete interior wall; an exterior one counts as two). */
  wallDb: number;
  /** Shadowing per frame (dB, one standard deviation). */
  sigmaDb: number;
  sensitivityDbm: number;
  /** Frames lost whatever their strength (collisions, the scanner off-channel). */
  lossRate: number;
}

export const DEFAULT_MEDIUM: MediumOptions = {
  p0Dbm: PATH_LOSS_P0_DBM,
  exponent: PATH_LOSS_EXPONENT,
  wallDb: 6,
  sigmaDb: 6,
  sensitivityDbm: SCANNER_SENSITIVITY_DBM,
  lossRate: 0.02,
};

export class RadioMedium {
  private readonly random: () => number;
  readonly o: MediumOptions;

  constructor(seed: number, o: Partial<MediumOptions> = {}) {
    this.random = seeded(seed, 0x7261646f);
    this.o = { ...DEFAULT_MEDIUM, ...o };
  }

  /** The mean RSSI at a spot (dBm), before shadowing. */
  meanRssi(s: Spot): number {
    const d = Math.max(s.distanceM, 1);
    return this.o.p0Dbm - 10 * this.o.exponent * Math.log10(d) - s.walls * this.o.wallDb;
  }

  /** One frame from the spot: its RSSI (whole dBm, as a scanner reports it), or null when it is
   * not heard. */
  frame(s: Spot): number | null {
    if (this.random() < this.o.lossRate) return null;
    const rssi = Math.round(this.meanRssi(s) + this.o.sigmaDb * this.gaussian());
    return rssi < this.o.sensitivityDbm ? null : rssi;
  }

  private gaussian(): number {
    // Box–Muller; 1 − u keeps the logarithm finite.
    const u = 1 - this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }
}
