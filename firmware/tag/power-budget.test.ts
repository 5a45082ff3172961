// README-tag.md's battery arithmetic, executed: if a default changes, this says whether the
// low-battery warning still comes ≥ 7 days before the tag dies.

import { describe, expect, it } from "vitest";
import { CHALLENGE_PERIOD_MS } from "../base/presence/freshness-challenge";
import {
  averageCurrentUa,
  challengeCurrentUa,
  challengeLoad,
  conservativeModel,
  days,
} from "./power-budget";
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
  // The home unit's relay check challenges the tag every few minutes while it is home.
  const challenge = challengeCurrentUa(m, challengeLoad(cfg, CHALLENGE_PERIOD_MS));
  const avgDefault = averageCurrentUa(m, cfg.beaconIntervalMs, cfg.airCopies) + challenge;
  const avgFastest = averageCurrentUa(m, FASTEST_INTERVAL_MS, cfg.airCopies) + challenge;

  it("default rate: ~38 µA average, of which the relay check ~7 µA", () => {
    expect(challenge).toBeCloseTo((150 + 5 * (160 + 4 * 15)) / 180, 5);
    expect(avgDefault).toBeCloseTo(3 + 7.5 + 20 + 0.8 + 6.94, 1);
  });

  it("≥ 12 months on the 1,000 mAh cell at the default rate, challenges included", () => {
    expect(days(1000, avgDefault)).toBeGreaterThanOrEqual(365);
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
