// Range presets (SPEC §10 `set_range_preset`): 1 near ≈ 10 m, 2 medium ≈ 23 m, 3 far ≈ 45 m —
// the 35 / 75 / 150 ft of the peers' home units — mapped to RSSI thresholds.
//
// Path-loss assumption (log-distance model): RSSI(d) = P0 − 10 · n · log10(d / 1 m), with
// P0 = −59 dBm (0 dBm nRF52 advertiser on an ankle, heard at 1 m) and n = 2.2.
//
// Why n = 2.2 and not the 2.5–3 of through-wall indoor fits: inside one flat most paths cross at
// most one or two light partitions, for which measured BLE exponents are ≈ 1.8–2.4; more to the
// point, with n ≥ 2.5 the medium and far thresholds (−93…−100 and −100…−109 dBm) fall at or
// below the ≈ −95 dBm sensitivity of an nRF52840 scanner at 1 Mbit/s, so medium and far would
// both mean "heard at all" and the presets would not be three different things. With n = 2.2:
//
// | preset | distance | enter (present) | leave (absent) = enter − 8 dB |
// | ------ | -------- | --------------- | ----------------------------- |
// | 1      | 10 m     | −81 dBm         | −89 dBm                       |
// | 2      | 23 m     | −89 dBm         | −97 dBm (below sensitivity)   |
// | 3      | 45 m     | −95 dBm         | −103 dBm (below sensitivity)  |
//
// Medium and far therefore leave only when beacons stop (the silence rule of the presence
// tracker); far is "heard at all". Near also leaves on a run of weak beacons (garden, stairwell). The model is a starting point, not a promise about any home:
// walls, furniture and the body move real values by ±10 dB, which is what the installation range
// test (range-test.ts) is for.
//
// Hysteresis margin 8 dB: ≈ 1.3 standard deviations of single-beacon RSSI on a body-worn tag
// (σ ≈ 6 dB) and ≈ 2.5 of the median-of-5 estimate. Measured (presence-month.test.ts and the
// sweep in README-presence.md): with the subject's mean right at the near preset's enter
// threshold, 6 dB gave 30 false left_home per month (k = 6) where 8 dB gives none.

export const RangePreset = { near: 1, medium: 2, far: 3 } as const;

/** Medium: covers a typical flat or small house with margin; the installer tightens or widens
 * it after the range test. */
export const DEFAULT_RANGE_PRESET = RangePreset.medium;

export const PATH_LOSS_P0_DBM = -59;
export const PATH_LOSS_EXPONENT = 2.2;
export const HYSTERESIS_DB = 8;
/** nRF52840 BLE 1 Mbit/s receiver sensitivity (datasheet, typical). */
export const SCANNER_SENSITIVITY_DBM = -95;

/** Nominal distances (m) indexed by preset; index 0 unused. */
export const PRESET_DISTANCE_M = [0, 10, 23, 45];
/** Enter thresholds (dBm) indexed by preset: modelRssi(distance) rounded. */
export const PRESET_ENTER_DBM = [0, -81, -89, -95];

export function isRangePreset(p: number): boolean {
  return p === 1 || p === 2 || p === 3;
}

/** Log-distance model: expected RSSI (dBm) at `distanceM` metres. */
export function modelRssi(distanceM: number, p0Dbm: number, exponent: number): number {
  return p0Dbm - 10 * exponent * (Math.log(distanceM) / Math.LN10);
}

/** Smoothed RSSI at or above which a beacon counts as "in range" (toward present). */
export function enterThreshold(preset: number): number {
  return isRangePreset(preset) ? PRESET_ENTER_DBM[preset] : PRESET_ENTER_DBM[DEFAULT_RANGE_PRESET];
}

/** Smoothed RSSI below which a beacon counts as "out of range" (toward absent). */
export function leaveThreshold(preset: number): number {
  return enterThreshold(preset) - HYSTERESIS_DB;
}
