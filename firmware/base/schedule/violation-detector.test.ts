import { EventCode, ViolationCause } from "@em-platform/protocol/core/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ExceptionKind, type ScheduleException } from "./exception";
import { LocalPick, localSecondsOf, localToUtc } from "./local-time";
import { type Schedule, validateSchedule, WindowKind, windowsOverlap } from "./schedule";
import { ScheduleStore } from "./schedule-store";
import {
  DetectorState,
  type PresenceInput,
  presenceFromCode,
  type ScheduleEvent,
  ViolationDetector,
} from "./violation-detector";

const M = 60;
const H = 3600;
const DAY = 86400;
const HOME = WindowKind.home;
const LEFT = ViolationCause.leftDuringHomeWindow;
const LATE = ViolationCause.notBackByWindowStart;

/** UTC instant of a Riga/Vilnius wall-clock time (local-time.test.ts checks this against Intl). */
function riga(y: number, mo: number, d: number, h: number, mi = 0, s = 0): number {
  return localToUtc(1, localSecondsOf(y, mo, d, h, mi, s), LocalPick.later);
}

type W = [number, number, number, number];

function sched(windows: W[], over?: Partial<Schedule>): Schedule {
  const s: Schedule = {
    version: 3,
    validFrom: riga(2025, 1, 1, 0),
    validTo: riga(2027, 1, 1, 0),
    timeZone: 1,
    grace: 300,
    windows: windows.map((w) => ({ weekday: w[0], start: w[1], length: w[2], kind: w[3] })),
    ...over,
  };
  return s;
}

const NIGHTS: W[] = [0, 1, 2, 3, 4, 5, 6].map((d) => [d, 22 * 60, 480, HOME] as W);
const WEEKDAY_WORK: W[] = [0, 1, 2, 3, 4].map((d) => [d, 9 * 60, 480, WindowKind.mandatory] as W);
const SAT_SHOP: W = [5, 10 * 60, 240, WindowKind.optional];

class Sim {
  store = new ScheduleStore();
  det: ViolationDetector;
  events: ScheduleEvent[] = [];

  constructor(s: Schedule | null, now: number) {
    if (s !== null) {
      const r = this.store.offerSchedule(s, now);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
    this.det = new ViolationDetector(this.store);
  }
  at(t: number, p: PresenceInput, since?: number): this {
    this.events.push(...this.det.update(t, p, since));
    return this;
  }
  jump(oldT: number, newT: number): this {
    this.events.push(...this.det.clockJumped(oldT, newT));
    return this;
  }
  /** Updates every `step` s over [from, to], presence from a function of time. */
  walk(from: number, to: number, step: number, p: (t: number) => PresenceInput): this {
    for (let t = from; t <= to; t += step) this.at(t, p(t));
    return this;
  }
  brief(): (string | number)[][] {
    return this.events.map((e) =>
      e.code === EventCode.curfewViolationStart
        ? ["start", e.time, e.data[1] as number, e.data[2] as number, e.data[3] as number]
        : ["end", e.time, e.data[1] as number, e.data[2] as number],
    );
  }
}

const JUNE_TUE_22 = riga(2025, 6, 10, 22); // Tuesday 10 June 2025, 22:00 local
const JUNE_WED_06 = riga(2025, 6, 11, 6);

describe("both DST nights, 22:00–06:00 home window", () => {
  const nights: [string, number, number, number][] = [
    ["spring 29→30 March 2025", riga(2025, 3, 29, 22), riga(2025, 3, 30, 6), 7 * H],
    ["autumn 25→26 October 2025", riga(2025, 10, 25, 22), riga(2025, 10, 26, 6), 9 * H],
    ["spring 28→29 March 2026", riga(2026, 3, 28, 22), riga(2026, 3, 29, 6), 7 * H],
    ["autumn 24→25 October 2026", riga(2026, 10, 24, 22), riga(2026, 10, 25, 6), 9 * H],
  ];
  for (const [name, w22, w06, len] of nights) {
    it(`${name}: ${len / H} h long; home from 22:00 to 06:00 local is never flagged`, () => {
      expect(w06 - w22).toBe(len);
      const sim = new Sim(sched(NIGHTS), w22 - DAY);
      // Every 10 s from 20:00 to 08:00: arrives exactly at 22:00, leaves exactly at 06:00.
      sim.walk(w22 - 2 * H, w06 + 2 * H, 10, (t) => (t >= w22 && t < w06 ? "present" : "absent"));
      expect(sim.events).toEqual([]);
    });

    it(`${name}: leaving at 05:30 local is an early leave (cause 1) until 06:00`, () => {
      const leave = w06 - 30 * M;
      const sim = new Sim(sched(NIGHTS), w22 - DAY);
      sim.walk(w22 - H, w06 + H, 30, (t) => (t >= w22 - 5 * M && t < leave ? "present" : "absent"));
      expect(sim.brief()).toEqual([
        ["start", leave + 300, LEFT, w22, 3],
        ["end", w06, 30 * M - 300, 3],
      ]);
    });

    it(`${name}: coming back at 22:10 local is a late return (cause 2)`, () => {
      const sim = new Sim(sched(NIGHTS), w22 - DAY);
      sim.walk(w22 - H, w22 + H, 1, (t) => (t >= w22 + 10 * M ? "present" : "absent"));
      expect(sim.brief()).toEqual([
        ["start", w22 + 300, LATE, w22, 3],
        ["end", w22 + 10 * M, 300, 3],
      ]);
    });
  }
});

describe("grace at the boundary", () => {
  const leave = JUNE_TUE_22 + H;
  for (const sparse of [false, true]) {
    const mode = sparse ? "updates only at changes" : "an update every second";
    function run(absentFor: number): (string | number)[][] {
      const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
      const back = leave + absentFor;
      if (sparse)
        sim
          .at(JUNE_TUE_22 - H, "present")
          .at(leave, "absent")
          .at(back, "present");
      else
        sim.walk(JUNE_TUE_22 - H, back + 10, 1, (t) =>
          t >= leave && t < back ? "absent" : "present",
        );
      sim.at(back + 20 * M, "present");
      return sim.brief();
    }
    it(`absent grace − 1 s and exactly grace: nothing (${mode})`, () => {
      expect(run(299)).toEqual([]);
      expect(run(300)).toEqual([]);
    });
    it(`absent grace + 1 s: a violation from leave + grace, 1 s long (${mode})`, () => {
      expect(run(301)).toEqual([
        ["start", leave + 300, LEFT, JUNE_TUE_22, 3],
        ["end", leave + 301, 1, 3],
      ]);
    });
  }

  it("a custom grace, and grace 0 (violation at once)", () => {
    for (const g of [0, 60, 3600]) {
      const sim = new Sim(sched(NIGHTS, { grace: g }), JUNE_TUE_22 - DAY);
      sim
        .at(JUNE_TUE_22 - H, "present")
        .at(leave, "absent")
        .at(leave + g, "absent");
      expect(sim.brief()).toEqual([["start", leave + g, LEFT, JUNE_TUE_22, 3]]);
    }
  });
});

describe("early leave and late return", () => {
  it("early leave with sparse updates: the end is stamped at the window end, not the next update", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim
      .at(JUNE_TUE_22 - H, "present")
      .at(JUNE_WED_06 - H, "absent")
      .at(JUNE_WED_06 + 2 * H, "absent");
    expect(sim.brief()).toEqual([
      ["start", JUNE_WED_06 - H + 300, LEFT, JUNE_TUE_22, 3],
      ["end", JUNE_WED_06, H - 300, 3],
    ]);
  });

  it("leaving within grace of the window end is not a violation (deadline = window end too)", () => {
    for (const before of [299, 300]) {
      const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
      sim.walk(JUNE_TUE_22, JUNE_WED_06 + 600, 1, (t) =>
        t < JUNE_WED_06 - before ? "present" : "absent",
      );
      expect(sim.events).toEqual([]);
    }
  });

  it("a whole night away with one update before and one after: start and end at their instants", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim.at(JUNE_TUE_22 - H, "absent").at(JUNE_WED_06 + H, "absent");
    expect(sim.brief()).toEqual([
      ["start", JUNE_TUE_22 + 300, LATE, JUNE_TUE_22, 3],
      ["end", JUNE_WED_06, 8 * H - 300, 3],
    ]);
  });

  it("back, then out again in the same window: cause 2 then cause 1", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim
      .at(JUNE_TUE_22 - H, "absent")
      .at(JUNE_TUE_22 + H, "present")
      .at(JUNE_TUE_22 + 2 * H, "absent")
      .at(JUNE_TUE_22 + 3 * H, "present");
    expect(sim.brief()).toEqual([
      ["start", JUNE_TUE_22 + 300, LATE, JUNE_TUE_22, 3],
      ["end", JUNE_TUE_22 + H, H - 300, 3],
      ["start", JUNE_TUE_22 + 2 * H + 300, LEFT, JUNE_TUE_22, 3],
      ["end", JUNE_TUE_22 + 3 * H, H - 300, 3],
    ]);
  });

  it("a subject who leaves at the very instant the window starts is 'not back' (cause 2)", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim
      .at(JUNE_TUE_22 - H, "present")
      .at(JUNE_TUE_22, "absent")
      .at(JUNE_TUE_22 + H, "present");
    expect(sim.brief()[0]).toEqual(["start", JUNE_TUE_22 + 300, LATE, JUNE_TUE_22, 3]);
  });
});

describe("midnight-spanning windows", () => {
  it("Sunday 22:00 → Monday 06:00: a late return after midnight, cause 2, window start Sunday", () => {
    const sun22 = riga(2025, 6, 15, 22);
    const mon0130 = riga(2025, 6, 16, 1, 30);
    const sim = new Sim(sched([[6, 22 * 60, 480, HOME]]), sun22 - DAY);
    sim.walk(sun22 - H, riga(2025, 6, 16, 7), 60, (t) => (t >= mon0130 ? "present" : "absent"));
    expect(sim.brief()).toEqual([
      ["start", sun22 + 300, LATE, sun22, 3],
      ["end", mon0130, mon0130 - sun22 - 300, 3],
    ]);
  });

  it("two adjacent windows across midnight are one stretch: one violation, no end at 00:00", () => {
    const s = sched([
      [1, 22 * 60, 120, HOME], // Tuesday 22:00–24:00
      [2, 0, 360, HOME], // Wednesday 00:00–06:00
    ]);
    const sim = new Sim(s, JUNE_TUE_22 - DAY);
    sim.walk(JUNE_TUE_22 - H, JUNE_WED_06 + H, 60, (t) =>
      t >= JUNE_TUE_22 + 3 * H ? "present" : "absent",
    );
    expect(sim.brief()).toEqual([
      ["start", JUNE_TUE_22 + 300, LATE, JUNE_TUE_22, 3],
      ["end", JUNE_TUE_22 + 3 * H, 3 * H - 300, 3],
    ]);
  });
});

describe("activity windows are not curfew windows for the home unit", () => {
  it("absence during mandatory and optional windows raises nothing", () => {
    const s = sched([...NIGHTS, ...WEEKDAY_WORK, SAT_SHOP]);
    const sim = new Sim(s, riga(2025, 6, 9, 0));
    // Monday 07:00 to Saturday 20:00: away 06:00–21:59 every day, home at night.
    sim.walk(riga(2025, 6, 9, 7), riga(2025, 6, 14, 20), 120, (t) => {
      const sod = (((t + 3 * H) % DAY) + DAY) % DAY; // summer local seconds of day
      return sod >= 6 * H && sod < 22 * H ? "absent" : "present";
    });
    expect(sim.events).toEqual([]);
  });
});

describe("presence 'unknown'", () => {
  it("never starts a violation, whether it begins before or inside the window", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim.at(JUNE_TUE_22 - H, "unknown").at(JUNE_WED_06 + H, "unknown");
    sim.at(JUNE_WED_06 + 14 * H, "present").at(JUNE_WED_06 + 17 * H, "unknown");
    sim.at(JUNE_WED_06 + 30 * H, "unknown");
    expect(sim.events).toEqual([]);
  });

  it("cancels a running grace timer; a later absence starts a new one", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim
      .at(JUNE_TUE_22 - H, "present")
      .at(JUNE_TUE_22 + H, "absent")
      .at(JUNE_TUE_22 + H + 200, "unknown")
      .at(JUNE_TUE_22 + 2 * H, "unknown")
      .at(JUNE_TUE_22 + 3 * H, "absent")
      .at(JUNE_TUE_22 + 4 * H, "present");
    expect(sim.brief()).toEqual([
      ["start", JUNE_TUE_22 + 3 * H + 300, LEFT, JUNE_TUE_22, 3],
      ["end", JUNE_TUE_22 + 4 * H, H - 300, 3],
    ]);
  });

  it("leaves an open violation open (no end that would say the subject came back)", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim
      .at(JUNE_TUE_22 - H, "absent")
      .at(JUNE_TUE_22 + H, "unknown")
      .at(JUNE_TUE_22 + 2 * H, "absent")
      .at(JUNE_TUE_22 + 3 * H, "unknown");
    expect(sim.brief()).toEqual([["start", JUNE_TUE_22 + 300, LATE, JUNE_TUE_22, 3]]);
    expect(sim.det.inViolation()).toBe(true);
    sim.at(JUNE_TUE_22 + 4 * H, "present");
    expect(sim.brief()[1]).toEqual(["end", JUNE_TUE_22 + 4 * H, 4 * H - 300, 3]);
  });

  it("presenceFromCode maps the heartbeat values", () => {
    expect([0, 1, 2, 7].map(presenceFromCode)).toEqual(["unknown", "present", "absent", "unknown"]);
  });
});

describe("exceptions in the detector", () => {
  function withException(e: ScheduleException, now: number): Sim {
    const sim = new Sim(sched(NIGHTS), now);
    const r = sim.store.addException(e, now);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    return sim;
  }

  it("away permitted (2 h, unapproved) suppresses the violation while it lasts", () => {
    const e = {
      id: 1,
      start: JUNE_TUE_22 - 30 * M,
      end: JUNE_TUE_22 + 90 * M,
      kind: 1,
      approved: false,
    };
    const sim = withException(e, JUNE_TUE_22 - H);
    sim.walk(JUNE_TUE_22 - H, JUNE_WED_06 + H, 60, (t) =>
      t >= JUNE_TUE_22 + 80 * M ? "present" : "absent",
    );
    expect(sim.events).toEqual([]);
  });

  it("coming back late from an away-permitted exception: grace counts from its end", () => {
    const end = JUNE_TUE_22 + 90 * M;
    const e = { id: 1, start: JUNE_TUE_22 - 30 * M, end: end, kind: 1, approved: false };
    const sim = withException(e, JUNE_TUE_22 - H);
    sim.walk(JUNE_TUE_22 - H, JUNE_WED_06, 60, (t) => (t >= end + 10 * M ? "present" : "absent"));
    expect(sim.brief()).toEqual([
      ["start", end + 300, LATE, end, 3],
      ["end", end + 10 * M, 300, 3],
    ]);
  });

  it("must be home in free time creates a requirement", () => {
    const start = riga(2025, 6, 10, 14);
    const e = {
      id: 2,
      start: start,
      end: start + H,
      kind: ExceptionKind.mustBeHome,
      approved: false,
    };
    const sim = withException(e, start - H);
    sim.at(start - 10 * M, "absent").at(start + 2 * H, "absent");
    expect(sim.brief()).toEqual([
      ["start", start + 300, LATE, start, 3],
      ["end", start + H, H - 300, 3],
    ]);
  });

  it("must be home right before the home window is one stretch with it", () => {
    const e = {
      id: 3,
      start: JUNE_TUE_22 - 2 * H,
      end: JUNE_TUE_22,
      kind: ExceptionKind.mustBeHome,
      approved: false,
    };
    const sim = withException(e, JUNE_TUE_22 - 3 * H);
    sim.walk(JUNE_TUE_22 - 3 * H, JUNE_TUE_22 + H, 60, (t) =>
      t >= JUNE_TUE_22 + 30 * M ? "present" : "absent",
    );
    expect(sim.brief()).toEqual([
      ["start", JUNE_TUE_22 - 2 * H + 300, LATE, JUNE_TUE_22 - 2 * H, 3],
      ["end", JUNE_TUE_22 + 30 * M, 2.5 * H - 300, 3],
    ]);
  });

  it("an away-permitted exception over 2 h needs approval; approved it applies", () => {
    const e = { id: 4, start: JUNE_TUE_22, end: JUNE_WED_06, kind: 1, approved: false };
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - H);
    const r = sim.store.addException(e, JUNE_TUE_22 - H);
    expect(r.ok === false && r.reason).toBe("exception_too_long");
    sim.at(JUNE_TUE_22 - H, "absent").at(JUNE_TUE_22 + H, "absent");
    expect(sim.brief().length).toBe(1); // not suppressed: violation started
    const sim2 = new Sim(sched(NIGHTS), JUNE_TUE_22 - H);
    expect(sim2.store.addException({ ...e, approved: true }, JUNE_TUE_22 - H).ok).toBe(true);
    sim2.at(JUNE_TUE_22 - H, "absent").at(JUNE_WED_06 + H, "absent");
    expect(sim2.events).toEqual([]);
  });

  it("an exception added in the middle of a violation ends it at the next update", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - H);
    sim.at(JUNE_TUE_22 - H, "absent").at(JUNE_TUE_22 + H, "absent");
    const now = JUNE_TUE_22 + H + 30;
    const e = { id: 5, start: now, end: now + 2 * H, kind: 1, approved: false };
    expect(sim.store.addException(e, now).ok).toBe(true);
    sim.at(now, "absent");
    expect(sim.brief()).toEqual([
      ["start", JUNE_TUE_22 + 300, LATE, JUNE_TUE_22, 3],
      ["end", now, now - JUNE_TUE_22 - 300, 3],
    ]);
    // After the exception ends and is pruned, the home window applies again.
    sim.store.pruneExceptions(now + 2 * H);
    expect(sim.store.exceptions).toEqual([]);
    sim.at(now + 2 * H + 301, "absent");
    expect(sim.brief()[2]).toEqual(["start", now + 2 * H + 300, LATE, now + 2 * H, 3]);
  });
});

describe("schedule changes", () => {
  it("a seamless hand-over to a new version keeps one violation (version of its start)", () => {
    const cut = riga(2025, 6, 11, 1); // Wednesday 01:00 local, inside the night window
    const v3 = sched(NIGHTS, { validTo: cut, validFrom: cut - 30 * DAY });
    const v4 = sched(NIGHTS, { version: 4, validFrom: cut, validTo: cut + 60 * DAY });
    const sim = new Sim(v3, JUNE_TUE_22 - DAY);
    expect(sim.store.offerSchedule(v4, JUNE_TUE_22 - DAY).ok).toBe(true);
    expect(sim.store.pending).toBe(v4);
    sim.walk(JUNE_TUE_22 - H, JUNE_WED_06 + H, 60, (t) => (t >= cut + H ? "present" : "absent"));
    expect(sim.brief()).toEqual([
      ["start", JUNE_TUE_22 + 300, LATE, JUNE_TUE_22, 3],
      ["end", cut + H, cut + H - JUNE_TUE_22 - 300, 3],
    ]);
  });

  it("a new schedule without tonight's window ends the violation when it is applied", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim.at(JUNE_TUE_22 - H, "absent").at(JUNE_TUE_22 + H, "absent");
    const now = JUNE_TUE_22 + H + 5;
    const v4 = sched([[0, 12 * 60, 60, HOME]], { version: 4 });
    expect(sim.store.offerSchedule(v4, now).ok).toBe(true);
    sim.at(now, "absent");
    expect(sim.brief()[1]).toEqual(["end", now, now - JUNE_TUE_22 - 300, 3]);
  });
});

describe("start-up", () => {
  it("first update inside a home window, absent: grace counts from the first update", () => {
    const boot = JUNE_TUE_22 + H;
    const sim = new Sim(sched(NIGHTS), boot);
    sim.at(boot, "absent").at(boot + 299, "absent");
    expect(sim.events).toEqual([]);
    sim.at(boot + 300, "absent");
    expect(sim.brief()).toEqual([["start", boot + 300, LATE, JUNE_TUE_22, 3]]);
    expect(sim.det.getState()).toBe(DetectorState.violation);
  });

  it("no schedule: nothing, ever", () => {
    const sim = new Sim(null, JUNE_TUE_22);
    sim.walk(JUNE_TUE_22, JUNE_TUE_22 + DAY, 600, () => "absent");
    expect(sim.events).toEqual([]);
    expect(sim.det.getState()).toBe(DetectorState.idle);
  });
});

describe("absentSince: grace from the last sighting", () => {
  it("counts grace from when the subject was last seen", () => {
    const seen = JUNE_TUE_22 + H;
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim
      .at(JUNE_TUE_22 - H, "present")
      .at(seen + 180, "absent", seen)
      .at(seen + 300, "absent");
    expect(sim.brief()).toEqual([["start", seen + 300, LEFT, JUNE_TUE_22, 3]]);
  });

  it("never from before the window began: last seen 21:58, detected 22:01 → cause 2 at 22:05", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim
      .at(JUNE_TUE_22 - H, "present")
      .at(JUNE_TUE_22 + 60, "absent", JUNE_TUE_22 - 120)
      .at(JUNE_TUE_22 + H, "absent");
    expect(sim.brief()).toEqual([["start", JUNE_TUE_22 + 300, LATE, JUNE_TUE_22, 3]]);
  });
});

describe("clock jumps", () => {
  it("forward over a whole home window while absent: no phantom violation", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    const before = JUNE_TUE_22 - H;
    const after = JUNE_WED_06 + H;
    sim.walk(before - H, before, 60, () => "absent");
    sim.jump(before, after);
    sim.walk(after, after + 4 * H, 60, () => "absent");
    expect(sim.events).toEqual([]);
    // The next night is watched normally.
    sim.walk(after + 4 * H, JUNE_TUE_22 + DAY + H, 60, () => "absent");
    expect(sim.brief()).toEqual([["start", JUNE_TUE_22 + DAY + 300, LATE, JUNE_TUE_22 + DAY, 3]]);
  });

  it("an update going backwards without clockJumped is treated as a jump", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim
      .at(JUNE_WED_06 + H, "absent")
      .at(JUNE_TUE_22 - H, "absent")
      .at(JUNE_TUE_22 - 1, "absent");
    expect(sim.events).toEqual([]);
    sim.at(JUNE_TUE_22 + 300, "absent");
    expect(sim.brief()).toEqual([["start", JUNE_TUE_22 + 300, LATE, JUNE_TUE_22, 3]]);
  });

  it("forward into a home window while absent: full grace from the new time", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    const newT = JUNE_TUE_22 + 2 * H;
    sim.at(JUNE_TUE_22 - H, "absent").jump(JUNE_TUE_22 - H, newT);
    sim.walk(newT, newT + 299, 1, () => "absent");
    expect(sim.events).toEqual([]);
    sim.at(newT + 300, "absent");
    expect(sim.brief()).toEqual([["start", newT + 300, LATE, JUNE_TUE_22, 3]]);
  });

  it("during grace: a big jump restarts the grace timer", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    const leave = JUNE_TUE_22 + H;
    sim
      .at(JUNE_TUE_22 - H, "present")
      .at(leave, "absent")
      .at(leave + 120, "absent");
    const newT = leave + 2 * H;
    sim.jump(leave + 120, newT);
    sim.at(newT + 299, "absent");
    expect(sim.events).toEqual([]);
    sim.at(newT + 300, "absent");
    expect(sim.brief()).toEqual([["start", newT + 300, LEFT, JUNE_TUE_22, 3]]);
  });

  it("during grace: a small step (drift correction ≤ 60 s) keeps the remaining grace", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    const leave = JUNE_TUE_22 + H;
    sim
      .at(JUNE_TUE_22 - H, "present")
      .at(leave, "absent")
      .at(leave + 120, "absent");
    sim.jump(leave + 120, leave + 150); // +30 s
    sim.at(leave + 329, "absent");
    expect(sim.events).toEqual([]);
    sim.at(leave + 330, "absent");
    expect(sim.brief()).toEqual([["start", leave + 330, LEFT, JUNE_TUE_22, 3]]);
  });

  it("during a violation, forward within the window: it stays open, the skip is not counted", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim.at(JUNE_TUE_22 - H, "absent").at(JUNE_TUE_22 + H, "absent");
    sim.jump(JUNE_TUE_22 + H, JUNE_TUE_22 + 4 * H);
    sim.at(JUNE_TUE_22 + 5 * H, "present");
    // Open from 22:05 to 23:00 before the jump (55 min), then 1 h after it.
    expect(sim.brief()).toEqual([
      ["start", JUNE_TUE_22 + 300, LATE, JUNE_TUE_22, 3],
      ["end", JUNE_TUE_22 + 5 * H, 55 * M + H, 3],
    ]);
  });

  it("during a violation, forward past the window end: it ends at the new time, skip not counted", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim.at(JUNE_TUE_22 - H, "absent").at(JUNE_TUE_22 + H, "absent");
    sim.jump(JUNE_TUE_22 + H, JUNE_WED_06 + 3 * H);
    expect(sim.brief()).toEqual([
      ["start", JUNE_TUE_22 + 300, LATE, JUNE_TUE_22, 3],
      ["end", JUNE_WED_06 + 3 * H, 55 * M, 3],
    ]);
  });

  it("backwards out of a window while in violation: ends; nothing replayed when time catches up", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim.at(JUNE_TUE_22 - H, "absent").at(JUNE_TUE_22 + H, "absent");
    sim.jump(JUNE_TUE_22 + H, JUNE_TUE_22 - 2 * H);
    expect(sim.brief()[1]).toEqual(["end", JUNE_TUE_22 - 2 * H, 55 * M, 3]);
    // The subject comes home before 22:00 this time: no new violation.
    sim.at(JUNE_TUE_22 - H, "present").walk(JUNE_TUE_22 - H, JUNE_WED_06, 300, () => "present");
    expect(sim.events.length).toBe(2);
  });

  it("clockJumped first processes what was due up to the old time", () => {
    const sim = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    sim.at(JUNE_TUE_22 - H, "absent");
    sim.jump(JUNE_TUE_22 + H, JUNE_TUE_22 + 3 * H);
    expect(sim.brief()).toEqual([["start", JUNE_TUE_22 + 300, LATE, JUNE_TUE_22, 3]]);
  });
});

// ---- properties ----------------------------------------------------------------------------

// Mostly home windows and absences, so that violations are frequent.
const windowArb = fc.tuple(
  fc.integer({ min: 0, max: 6 }),
  fc.integer({ min: 0, max: 1439 }),
  fc.integer({ min: 1, max: 1440 }),
  fc.constantFrom(1, 1, 1, 2, 3),
);
const presenceArb = fc.constantFrom<PresenceInput>("present", "absent", "absent", "unknown");
// A span crossing the spring change of 2025.
const T0 = riga(2025, 3, 24, 0);

function scenarioArb() {
  return fc.record({
    windows: fc.array(windowArb, { maxLength: 12 }),
    grace: fc.integer({ min: 0, max: 900 }),
    changes: fc.array(fc.tuple(fc.integer({ min: 1, max: 8 * H }), presenceArb), {
      minLength: 8,
      maxLength: 40,
    }),
    exceptions: fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: 8 * DAY }),
        fc.integer({ min: 1, max: 2 * H }),
        fc.boolean(),
      ),
      { maxLength: 4 },
    ),
  });
}

type Scenario = {
  windows: [number, number, number, number][];
  grace: number;
  changes: [number, PresenceInput][];
  exceptions: [number, number, boolean][];
};

let built = 0;
let valid = 0;
let starts = 0;

function build(sc: Scenario): Sim | null {
  // Keep the windows that do not overlap earlier ones, so every scenario is a valid schedule.
  const kept: W[] = [];
  for (const w of sc.windows) {
    const a = { weekday: w[0], start: w[1], length: w[2], kind: w[3] };
    if (
      !kept.some((k) => windowsOverlap(a, { weekday: k[0], start: k[1], length: k[2], kind: k[3] }))
    )
      kept.push(w);
  }
  const s = sched(kept, { validFrom: T0 - DAY, validTo: T0 + 30 * DAY, grace: sc.grace });
  built++;
  if (!validateSchedule(s, null, T0).ok) return null;
  valid++;
  const sim = new Sim(s, T0);
  for (let i = 0; i < sc.exceptions.length; i++) {
    const x = sc.exceptions[i];
    sim.store.addException(
      { id: i, start: T0 + x[0], end: T0 + x[0] + x[1], kind: x[2] ? 2 : 1, approved: false },
      T0,
    );
  }
  return sim;
}

describe("properties", () => {
  it("sparse updates (only at presence changes) give exactly the events of dense ones", () => {
    fc.assert(
      fc.property(scenarioArb(), (sc) => {
        const dense = build(sc);
        const sparse = build(sc);
        if (dense === null || sparse === null) return;
        let t = T0;
        let p: PresenceInput = "unknown";
        dense.at(t, p);
        sparse.at(t, p);
        for (const [dt, next] of sc.changes) {
          for (let u = t + 97; u < t + dt; u += 97) dense.at(u, p);
          t += dt;
          p = next;
          dense.at(t, p);
          sparse.at(t, p);
        }
        dense.at(t + DAY, p);
        sparse.at(t + DAY, p);
        expect(sparse.events).toEqual(dense.events);
      }),
      { numRuns: 300 },
    );
  });

  it("events alternate start/end, and a violation only covers home-required, absent time", () => {
    fc.assert(
      fc.property(scenarioArb(), (sc) => {
        const sim = build(sc);
        if (sim === null) return;
        const timeline: [number, PresenceInput][] = [[T0, "unknown"]];
        let t = T0;
        sim.at(t, "unknown");
        for (const [dt, next] of sc.changes) {
          t += dt;
          timeline.push([t, next]);
          sim.at(t, next);
        }
        const presenceAt = (x: number) => {
          let p: PresenceInput = "unknown";
          for (const [at, q] of timeline) if (at <= x) p = q;
          return p;
        };
        let open = -1;
        for (const e of sim.events) {
          if (e.code === EventCode.curfewViolationStart) {
            starts++;
            expect(open).toBe(-1);
            open = e.time;
            expect(sim.store.requirementAt(e.time).kind).toBe("home");
            expect(presenceAt(e.time)).toBe("absent");
            // Absent (never present) for the whole grace before the start.
            for (const [at, q] of timeline)
              if (at > e.time - sc.grace && at <= e.time) expect(q).not.toBe("present");
          } else {
            expect(open).not.toBe(-1);
            expect(e.data[1]).toBe(e.time - open);
            // No second of the violation was outside a home requirement or spent present.
            for (let x = open; x < e.time; x += 60) {
              expect(sim.store.requirementAt(x).kind).toBe("home");
              expect(presenceAt(x)).not.toBe("present");
            }
            open = -1;
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a forward clock jump never yields an event inside the skipped interval", () => {
    fc.assert(
      fc.property(
        scenarioArb(),
        fc.integer({ min: 0, max: 39 }),
        fc.integer({ min: 61, max: 3 * DAY }),
        (sc, at, skip) => {
          const sim = build(sc);
          if (sim === null) return;
          let t = T0;
          let p: PresenceInput = "unknown";
          sim.at(t, p);
          let skipped: [number, number] | null = null;
          for (let i = 0; i < sc.changes.length; i++) {
            const [dt, next] = sc.changes[i];
            t += dt;
            if (i === at) {
              sim.jump(t, t + skip);
              skipped = [t, t + skip];
              t += skip;
            }
            p = next;
            sim.at(t, p);
          }
          if (skipped === null) return;
          for (const e of sim.events) {
            expect(e.time <= skipped[0] || e.time >= skipped[1]).toBe(true);
            if (e.code === EventCode.curfewViolationEnd)
              expect(e.data[1]).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("(the scenarios above were valid schedules, with violations among them)", () => {
    expect(valid).toBe(built);
    expect(valid).toBeGreaterThan(800);
    expect(starts).toBeGreaterThan(100);
  });
});

describe("an open violation across a reboot", () => {
  it("stays open in the same window, then ends with its whole duration; no second start", () => {
    const leave = JUNE_WED_06 - 2 * H;
    const before = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    before.walk(JUNE_TUE_22 - H, leave + 20 * M, 30, (t) => (t < leave ? "present" : "absent"));
    expect(before.brief()).toEqual([["start", leave + 300, LEFT, JUNE_TUE_22, 3]]);
    const open = before.det.openViolation();
    expect(open).toEqual({ start: leave + 300, version: 3, stretchStart: JUNE_TUE_22 });

    // The unit reboots 30 min later: a new detector, presence unknown until the tag is heard.
    const after = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    after.det.restoreOpen(open!);
    const back = leave + 90 * M;
    after.walk(leave + 50 * M, back + 10 * M, 30, (t) => (t < back ? "unknown" : "present"));
    expect(after.brief()).toEqual([["end", back, back - (leave + 300), 3]]);
    expect(after.det.openViolation()).toBeNull();
  });

  it("ends at the first update when the home window closed while the unit was down", () => {
    const leave = JUNE_WED_06 - H;
    const after = new Sim(sched(NIGHTS), JUNE_TUE_22 - DAY);
    after.det.restoreOpen({ start: leave + 300, version: 3, stretchStart: JUNE_TUE_22 });
    after.at(JUNE_WED_06 + 2 * H, "unknown");
    expect(after.brief()).toEqual([
      ["end", JUNE_WED_06 + 2 * H, JUNE_WED_06 + 2 * H - leave - 300, 3],
    ]);
  });
});
