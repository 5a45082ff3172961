import { describe, expect, it } from "vitest";
import type { UnitEvent } from "./presence-event";
import { ReportLimiter } from "./report-limiter";

describe("report limiter", () => {
  it("first at once, then at most one per period with the count since the last report", () => {
    const events: UnitEvent[] = [];
    const l = new ReportLimiter(0x19, 2, 600000, (e) => events.push(e));
    l.tick(0, 100);
    expect(events).toEqual([]);
    l.record(1000, 101, 0);
    expect(events).toEqual([{ code: 0x19, time: 101, tagId: 0, data: { 1: 1, 2: 2 } }]);
    l.record(2000, 102, 0);
    l.record(3000, 103, 0);
    l.tick(600999, 700);
    expect(events.length).toBe(1);
    l.tick(601000, 701);
    expect(events[1].data).toEqual({ 1: 2, 2: 2 });
    // a quiet period, then the next incident goes out at once again
    l.record(1300000, 1400, 0);
    expect(events[2].data).toEqual({ 1: 1, 2: 2 });
    expect(l.count()).toBe(4);
    expect(l.unreported()).toBe(0);
  });
});
