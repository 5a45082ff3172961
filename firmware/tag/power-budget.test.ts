// README-tag.md's battery arithmetic, executed: if a default changes, this says whether the
// low-battery warning still comes ≥ 7 days before the tag dies.

import { describe, expect, it } from "vitest";
import { averageCurrentUa, conservativeModel, days } from "./power-budget";
import { defaultTagConfig } from "./tag-config";

const CELLS = [
  { name: "CR2032", mah: 225 },
  { name: "CR2477 (1,000 mAh)", mah: 1000 },
];
/** Li-MnO2 capacity still usable below the 2.60 V threshold (README-tag.md, "Battery"). */
const LEFT_AT_THRESHOLD = 0.1;
const FASTEST_INTERVAL_MS = 2000; // SPEC §5: set beacon interval, 2 … 600 s

describe("power budget (conservative model)", () => {
  const m = conservativeModel();
  const cfg = defaultTagConfig();
  const avgDefault = averageCurrentUa(m, cfg.beaconIntervalMs, cfg.airCopies);
  const avgFastest = averageCurrentUa(m, FASTEST_INTERVAL_MS, cfg.airCopies);

  it("default rate: ~31 µA average", () => {
    expect(avgDefault).toBeCloseTo(3 + 7.5 + 20 + 0.8, 5);
  });

  for (const cell of CELLS)
    it(`${cell.name}: the warning comes ≥ 7 days before the end, even at the fastest rate`, () => {
      const left = cell.mah * LEFT_AT_THRESHOLD;
      const atDefault = days(left, avgDefault);
      const atFastest = days(left, avgFastest);
      expect(atDefault).toBeGreaterThanOrEqual(7);
      expect(atFastest).toBeGreaterThanOrEqual(7);
      console.info(
        `${cell.name}: life ${days(cell.mah, avgDefault).toFixed(0)} d at 8 s ` +
          `(${avgDefault.toFixed(1)} µA); warning ${atDefault.toFixed(1)} d ahead at 8 s, ` +
          `${atFastest.toFixed(1)} d at 2 s (${avgFastest.toFixed(1)} µA)`,
      );
    });
});
