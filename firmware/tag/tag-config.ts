// Tag defaults, each with its reason. The arithmetic behind them is in README-tag.md.
// Policy knobs are in TagConfig (a fresh object per call, so tests and the simulator can change
// them); values fixed by the SPEC or by the hardware are constants.

/** Counter reservation step (SPEC §3: K = 64 on the tag). */
export const COUNTER_K = 64;
/** Tag-command counter gap bound G (SPEC §3 default). */
export const COMMAND_GAP = 1000000;
/** Electrical bounce filter asked of the HAL inputs; the debounce policy is applied on top. */
export const EDGE_FILTER_MS = 10;
/** Readings in a row needed to set or clear the low-battery flag. */
export const BATTERY_CONFIRM = 2;
/**
 * 60 s: longer than any pause of the event loop (flash writes, a burst). The supervisor kicks
 * every 20 s, only while frames go out, so a tag whose frames stop is reset within ~2 minutes.
 */
export const WATCHDOG_MS = 60000;
export const SUPERVISOR_MS = 20000;

export interface TagConfig {
  /** Nominal time between signed frames (each frame has a new counter). */
  beaconIntervalMs: number;
  /** Each gap is the interval ± this percentage, uniformly random. */
  jitterPct: number;
  /** Frames sent at burstSpacingMs right after any flag changes (the first one at once). */
  burstFrames: number;
  burstSpacingMs: number;
  /** Radio repeats of each frame while it is current: air interval = gap / airCopies. */
  airCopies: number;
  /** A tamper input must read open (or closed again) this long, without a break, to count. */
  debounceMs: number;
  /** "Recently rebooted" is reported this long after boot (SPEC §4). */
  rebootFlagMs: number;
  batteryPeriodMs: number;
  /** Low-battery flag: set below lowMv, cleared at or above clearMv (BATTERY_CONFIRM readings). */
  batteryLowMv: number;
  batteryClearMv: number;
}

export function defaultTagConfig(): TagConfig {
  return {
    // SPEC §4's forgery arithmetic assumes 8 s (10,800 frames a day); peers beacon every ~10 s.
    // 8 s lets a home unit that needs 3 missed frames to suspect absence decide within ~30 s.
    beaconIntervalMs: 8000,
    // ±10 % (7.2–8.8 s): two tags that start together drift apart after one frame instead of
    // colliding every frame until their crystals (±20 ppm) separate them, hours later.
    jitterPct: 10,
    // 5 distinct frames 400 ms apart: an alarm reaches a scanning home unit within ~0.1 s even if
    // a frame or two are lost, for ~1.1 mC, about 35 s of the tag's average consumption.
    burstFrames: 5,
    burstSpacingMs: 400,
    // 4 radio copies per frame (every 2 s normally, every 100 ms in a burst): a frame is lost only
    // if all 4 copies are, so one unlucky packet never looks like a gap.
    airCopies: 4,
    // 500 ms: ~50× mechanical contact bounce (≤ 10 ms) and far above the impact chatter of a
    // strap contact while walking (tens of ms), yet a cut strap is reported 0.5 s later, which is
    // nothing next to the centre's reaction time. Longer windows only help cut-and-splice attacks.
    debounceMs: 500,
    rebootFlagMs: 10 * 60 * 1000,
    // Every 10 minutes: a cell loses < 0.01 % in that time; 144 readings a day cost nothing.
    batteryPeriodMs: 10 * 60 * 1000,
    // Li-MnO2 coin/button cells (CR2032, CR2477): at 2.60 V ~10 % of the capacity is left: 30 days
    // at 8 s, 8 days at the fastest allowed rate (2 s) on a CR2032, with conservative costs
    // (README-tag.md, power-budget.test.ts). 100 mV hysteresis because a rested lithium cell
    // recovers tens of mV; 2 readings so one sag cannot set it.
    batteryLowMv: 2600,
    batteryClearMv: 2700,
  };
}
