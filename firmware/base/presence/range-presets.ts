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
// | preset | distance | enter (present) | leave (absent) = enter − 6 dB |
// | ------ | -------- | --------------- | ----------------------------- |
// | 1      | 10 m     | −81 dBm         | −87 dBm                       |
// | 2      | 23 m     | −89 dBm         | −95 dBm                       |
// | 3      | 45 m     | −95 dBm         | −101 dBm (below sensitivity)  |
//
// The far preset is therefore "heard at all": it leaves only when beacons stop (the silence
// rule of the presence tracker). The model is a starting point, not a promise about any home:
// walls, furniture and the body move real values by ±10 dB, which is what the installation range
// test (range-test.ts) is for.
//
// Hysteresis margin 6 dB: about one standard deviation of single-beacon RSSI on a body-worn tag,
// and about two of the median-of-5 estimate, so a subject sitting right at the enter threshold
// does not flip between present and absent.

export const RangePreset = { near: 1, medium: 2, far: 3 } as const;

/** Medium: covers a typical flat or small house with margin; the installer tightens or widens
 * it after the range test. */
export const DEFAULT_RANGE_PRESET = RangePreset.medium;

export const PATH_LOSS_P0_DBM = -59;
export const PATH_LOSS_EXPONENT = 2.2;
export const HYSTERESIS_DB = 6;
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
