import { EventCode } from "@em-platform/protocol/core/events";
import { describe, expect, it } from "vitest";
import type { UnitEvent } from "./presence-event";
import { Prng } from "./presence-testkit";
import { RangeTest, recommendPreset } from "./range-test";

const TAG = 0x00c0ffee;
const T0 = 1760000000;

function setup() {
  const events: UnitEvent[] = [];
  return { rt: new RangeTest((e) => events.push(e)), events };
}

describe("installation range test", () => {
  it("reports samples, min, median, max when the time is up", () => {
    const s = setup();
    s.rt.start(TAG, 60, 1000);
    expect(s.rt.isActive()).toBe(true);
    const values = [-70, -72, -65, -90, -80, -77, -71];
    for (let i = 0; i < values.length; i++) s.rt.sample(values[i], 1000 + i * 8000);
    expect(s.rt.tick(60999, T0 + 60)).toBeNull();
    const r = s.rt.tick(61000, T0 + 61)!;
    expect(r).toMatchObject({ samples: 7, min: -90, median: -72, max: -65 });
    expect(s.rt.isActive()).toBe(false);
    expect(s.events).toEqual([
      {
        code: EventCode.rangeTestReport,
        time: T0 + 61,
        tagId: TAG,
        data: { 1: 7, 2: -90, 3: -72, 4: -65 },
      },
    ]);
    s.rt.sample(-50, 70000); // after the end: ignored
    expect(s.rt.report().samples).toBe(7);
  });

  it("agrees with a sort on random data", () => {
    const rng = new Prng(7);
    const s = setup();
    s.rt.start(TAG, 3600, 0);
    const xs: number[] = [];
    for (let i = 0; i < 450; i++) {
      const v = Math.round(rng.gauss(-82, 8));
      xs.push(v);
      s.rt.sample(v, i * 8000);
    }
    xs.sort((a, b) => a - b);
    const r = s.rt.report();
    expect(r.samples).toBe(450);
    expect(r.min).toBe(xs[0]);
    expect(r.max).toBe(xs[449]);
    expect(r.median).toBe(xs[Math.ceil(0.5 * 450) - 1]);
    expect(r.p10).toBe(xs[Math.ceil(0.1 * 450) - 1]);
  });

  it("recommends the tightest preset that covers nine beacons in ten", () => {
    expect(recommendPreset(-70)).toBe(1);
    expect(recommendPreset(-81)).toBe(1);
    expect(recommendPreset(-82)).toBe(2);
    expect(recommendPreset(-89)).toBe(2);
    expect(recommendPreset(-93)).toBe(3);
    expect(recommendPreset(-99)).toBe(3);
    const s = setup();
    s.rt.start(TAG, 10, 0);
    for (let i = 0; i < 20; i++) s.rt.sample(i < 2 ? -97 : -85, i * 400);
    const r = s.rt.finish(T0);
    expect(r.p10).toBe(-97);
    expect(r).toMatchObject({ recommendedPreset: 3, covered: false });
  });

  it("an empty test reports zero samples; the duration is clamped to 10…3,600 s", () => {
    const s = setup();
    s.rt.start(TAG, 1, 0);
    expect(s.rt.tick(9999, T0)).toBeNull();
    const r = s.rt.tick(10000, T0 + 10)!;
    expect(r).toMatchObject({ samples: 0, min: null, median: null, max: null });
    expect(s.events[0].data).toEqual({ 1: 0 });
    s.rt.start(TAG, 99999, 0);
    expect(s.rt.tick(3599999, T0)).toBeNull();
    expect(s.rt.tick(3600000, T0)).not.toBeNull();
  });

  it("clamps out-of-scale RSSI into the histogram", () => {
    const s = setup();
    s.rt.start(TAG, 60, 0);
    s.rt.sample(-140, 1);
    s.rt.sample(12, 2);
    expect(s.rt.report()).toMatchObject({ samples: 2, min: -128, max: 0 });
  });
});
