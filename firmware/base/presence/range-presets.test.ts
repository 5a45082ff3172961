import { describe, expect, it } from "vitest";
import {
  enterThreshold,
  HYSTERESIS_DB,
  isRangePreset,
  leaveThreshold,
  modelRssi,
  PATH_LOSS_EXPONENT,
  PATH_LOSS_P0_DBM,
  PRESET_DISTANCE_M,
  PRESET_ENTER_DBM,
  SCANNER_SENSITIVITY_DBM,
} from "./range-presets";

describe("range presets", () => {
  it("the table is the log-distance model rounded", () => {
    for (const p of [1, 2, 3]) {
      const m = modelRssi(PRESET_DISTANCE_M[p], PATH_LOSS_P0_DBM, PATH_LOSS_EXPONENT);
      expect(PRESET_ENTER_DBM[p]).toBe(Math.round(m));
      expect(enterThreshold(p)).toBe(PRESET_ENTER_DBM[p]);
      expect(leaveThreshold(p)).toBe(PRESET_ENTER_DBM[p] - HYSTERESIS_DB);
    }
    expect(modelRssi(1, -59, 2.2)).toBe(-59);
    expect([1, 2, 3].map(enterThreshold)).toEqual([-81, -89, -95]);
  });

  it("nearer presets are stricter, and none asks for a level the scanner cannot hear", () => {
    expect(enterThreshold(1)).toBeGreaterThan(enterThreshold(2));
    expect(enterThreshold(2)).toBeGreaterThan(enterThreshold(3));
    expect(enterThreshold(3)).toBeGreaterThanOrEqual(SCANNER_SENSITIVITY_DBM);
    // far leaves only by silence: its leave threshold is below what can be received
    expect(leaveThreshold(3)).toBeLessThan(SCANNER_SENSITIVITY_DBM);
  });

  it("knows the valid presets; anything else falls back to medium", () => {
    expect([0, 1, 2, 3, 4, 1.5].map(isRangePreset)).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(enterThreshold(7)).toBe(-89);
  });
});
