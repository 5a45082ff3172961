// Issue 11, attacks 2 and 7: the subject records his own tag's beacons while away (the unit never
// heard them, so their counters are all above the last accepted one) and plays them back at home
// at night; or replays frames the unit accepted just before he pulled its plug. Both pass the MAC
// and the counter; only the counter's pace against the unit's clock (counter-pace.ts) refuses them.
import { createHash } from "node:crypto";
import { DEFAULT_COMPANY_ID } from "@em-platform/protocol/core/beacon";
import { EventCode, FrameSource } from "@em-platform/protocol/core/events";
import { describe, expect, it } from "vitest";
import { TEST_ROOT as root } from "../../testing/test-fleet";
import {
  AcceptKind,
  BeaconAcceptor,
  defaultAcceptorOptions,
  MAC_REFILL_MS,
} from "./beacon-acceptor";
import { PACE_SLACK, PACE_TOLERANCE_PCT } from "./counter-pace";
import { HomePresence } from "./home-presence";
import type { UnitEvent } from "./presence-event";
import { Prng, VirtualTag } from "./presence-testkit";
import { Presence } from "./presence-tracker";

const OUR = 0x00c0ffee;
const T0 = 1767240000; // 2026-01-01T04:00:00Z
const HOUR = 3600000;
const utc = (ms: number) => T0 + Math.floor(ms / 1000);
const fastSha = (d: Uint8Array) => new Uint8Array(createHash("sha256").update(d).digest());

/** A genuine tag's timeline: counter and time of every beacon, 8 s ± 10 % apart plus the few ms a
 * real tag's timer overruns by, with the real tag's counter rules. */
function genuineBeacons(tag: VirtualTag, rng: Prng, fromMs: number, toMs: number, gapMs = 8000) {
  const out: { ms: number; frame: Uint8Array; counter: number }[] = [];
  for (let t = fromMs; t < toMs; t += Math.round(rng.uniform(gapMs * 0.9, gapMs * 1.1)) + 5) {
    out.push({ ms: t, counter: tag.counter, frame: tag.next() });
  }
  return out;
}

function presenceAt(tag: VirtualTag) {
  const events: UnitEvent[] = [];
  const hp = new HomePresence(
    {
      companyId: DEFAULT_COMPANY_ID,
      tagId: OUR,
      keys: (id, kv) => (id === OUR && kv === 1 ? tag.key : null),
      sha256: fastSha,
      sink: (e) => events.push(e),
      preset: 2,
      beaconIntervalMs: 8000,
      lastKnownPresence: Presence.unknown,
      challenge: null,
    },
    0,
  );
  let now = 0;
  const runTo = (until: number) => {
    for (let t = Math.floor(now / 1000) * 1000 + 1000; t <= until; t += 1000) hp.tick(t, utc(t));
    now = until;
  };
  const hear = (frame: Uint8Array, ms: number) => {
    runTo(ms);
    return hp.onAdvertisement(DEFAULT_COMPANY_ID, frame, -60, ms, utc(ms)).kind;
  };
  return { hp, events, runTo, hear };
}

function acceptorFor(tag: VirtualTag, events: UnitEvent[]) {
  return new BeaconAcceptor(
    defaultAcceptorOptions(
      DEFAULT_COMPANY_ID,
      OUR,
      (id, kv) => (id === OUR && kv === 1 ? tag.key : null),
      fastSha,
      (e) => events.push(e),
    ),
  );
}

const replayReports = (events: UnitEvent[]) =>
  events.filter(
    (e) => e.code === EventCode.replayedFrameSeen && e.data?.[2] === FrameSource.beacon,
  );

describe("record by day, replay at night", () => {
  it("12 h recorded at work and replayed at home from 22:00: no frame counts as presence, each reported", () => {
    const tag = new VirtualTag(fastSha, root, DEFAULT_COMPANY_ID, OUR, 1);
    const rng = new Prng(11);
    const home = genuineBeacons(tag, rng, 0, 2 * HOUR); // 04:00–06:00 at home
    const recorded = genuineBeacons(tag, rng, 2 * HOUR, 14 * HOUR); // 06:00–18:00 at work
    const s = presenceAt(tag);
    for (const b of home) expect(s.hear(b.frame, b.ms)).toBe(AcceptKind.accepted);
    expect(s.hp.tracker.state()).toBe(Presence.present);

    // 22:00: the subject is out; a transmitter at his door plays the day back at its own pace.
    const start = 18 * HOUR;
    const shift = start - recorded[0].ms;
    const kinds = new Map<string, number>();
    for (const b of recorded) {
      const k = s.hear(b.frame, b.ms + shift);
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    s.runTo(recorded[recorded.length - 1].ms + shift + 60000);
    expect(kinds.get(AcceptKind.accepted) ?? 0).toBe(0);
    expect(kinds.get(AcceptKind.stale)).toBe(recorded.length);
    expect(s.hp.acceptor.counts.stale).toBe(recorded.length);
    expect(s.hp.tracker.state()).toBe(Presence.absent);
    const reports = replayReports(s.events);
    expect(reports.length).toBeGreaterThan(0);
    // Rate-limited, but every frame is counted in some report.
    expect(reports.reduce((n, e) => n + (e.data?.[1] as number), 0)).toBe(recorded.length);
  });

  it("a recording replayed only a minute after it was made is refused too", () => {
    const tag = new VirtualTag(fastSha, root, DEFAULT_COMPANY_ID, OUR, 1);
    const rng = new Prng(12);
    const s = presenceAt(tag);
    for (const b of genuineBeacons(tag, rng, 0, HOUR)) s.hear(b.frame, b.ms);
    // He walks out; the recorder at his ankle captures the next frames; 60 s later it replays.
    const recorded = genuineBeacons(tag, rng, HOUR, HOUR + 10 * 60000);
    const kinds = recorded.map((b) => s.hear(b.frame, b.ms + 60000));
    expect(kinds.filter((k) => k === AcceptKind.accepted)).toHaveLength(0);
  });

  describe("a genuine tag never falls behind its pace", () => {
    it("a month of workdays, nights at home, tag reboots and beacon-interval changes: no stale frame", () => {
      const tag = new VirtualTag(fastSha, root, DEFAULT_COMPANY_ID, OUR, 1);
      const rng = new Prng(13);
      const events: UnitEvent[] = [];
      const a = acceptorFor(tag, events);
      let accepted = 0;
      const hearAll = (bs: { ms: number; frame: Uint8Array }[]) => {
        for (const b of bs) {
          const r = a.accept(DEFAULT_COMPANY_ID, b.frame, -60, b.ms, utc(b.ms));
          expect(r.kind).toBe(AcceptKind.accepted);
          accepted++;
        }
      };
      let t = 0;
      for (let day = 0; day < 30; day++) {
        const atHome = genuineBeacons(tag, rng, t, t + 9 * HOUR);
        hearAll(atHome);
        // Away 8–14 h: the unit hears nothing while the tag counts on.
        const away = rng.int(8, 14) * HOUR;
        genuineBeacons(tag, rng, t + 9 * HOUR, t + 9 * HOUR + away);
        t += 9 * HOUR + away;
        if (day % 7 === 3) {
          // The tag reboots: a reservation skipped, two seconds dark.
          tag.counter += 64;
          t += 2000;
        }
        if (day === 10) {
          // The centre shortens the interval to 4 s; the tag hears of it an hour later.
          a.setBeaconInterval(4000);
          const slow = genuineBeacons(tag, rng, t, t + HOUR);
          hearAll(slow);
          t += HOUR;
          const fast = genuineBeacons(tag, rng, t, t + 2 * HOUR, 4000);
          hearAll(fast);
          t += 2 * HOUR;
          // …and lengthens it back to 8 s: the unit switches at once, the tag an hour later.
          a.setBeaconInterval(8000);
          hearAll(genuineBeacons(tag, rng, t, t + HOUR, 4000));
          t += HOUR;
        }
        const rest = 24 * HOUR * (day + 1) > t ? 24 * HOUR * (day + 1) - t : 0;
        genuineBeacons(tag, rng, t, t + rest);
        t += rest;
      }
      expect(accepted).toBeGreaterThan(30 * 3000);
      expect(a.counts.stale).toBe(0);
      expect(replayReports(events)).toHaveLength(0);
    });
  });

  it("a tag whose clock stopped falls behind for good, until the centre re-pairs it", () => {
    const tag = new VirtualTag(fastSha, root, DEFAULT_COMPANY_ID, OUR, 1);
    const rng = new Prng(14);
    const events: UnitEvent[] = [];
    const a = acceptorFor(tag, events);
    for (const b of genuineBeacons(tag, rng, 0, HOUR))
      a.accept(DEFAULT_COMPANY_ID, b.frame, -60, b.ms, utc(b.ms));
    // Battery exhausted for 6 h, then revived: its counter resumes where it stopped.
    const revived = genuineBeacons(tag, rng, 7 * HOUR, 8 * HOUR);
    const hear = (i: number) =>
      a.accept(DEFAULT_COMPANY_ID, revived[i].frame, -60, revived[i].ms, utc(revived[i].ms)).kind;
    expect(hear(0)).toBe(AcceptKind.stale);
    expect(hear(1)).toBe(AcceptKind.stale);
    a.pair(OUR);
    expect(hear(2)).toBe(AcceptKind.accepted);
    expect(hear(3)).toBe(AcceptKind.accepted);
  });
});

describe("replays across a unit reboot", () => {
  function beforeReboot(seed: number) {
    const tag = new VirtualTag(fastSha, root, DEFAULT_COMPANY_ID, OUR, 1);
    const rng = new Prng(seed);
    const events: UnitEvent[] = [];
    const a = acceptorFor(tag, events);
    const early = genuineBeacons(tag, rng, 0, HOUR);
    for (const b of early) a.accept(DEFAULT_COMPANY_ID, b.frame, -60, b.ms, utc(b.ms));
    const last = early[early.length - 1].ms;
    const saved = a.exportState(last, utc(last), true)!;
    // 63 more frames are accepted, then the plug is pulled before the next save.
    const unsaved = genuineBeacons(tag, rng, last + 8000, last + 8000 + 63 * 8000).slice(0, 63);
    for (const b of unsaved) a.accept(DEFAULT_COMPANY_ID, b.frame, -60, b.ms, utc(b.ms));
    return { tag, rng, saved: JSON.parse(JSON.stringify(saved)), unsaved };
  }

  it("frames accepted after the last save are refused after a reboot, but those of its last ~50 s", () => {
    const { tag, saved, unsaved } = beforeReboot(21);
    const bootMs = unsaved[unsaved.length - 1].ms + 30000; // a 30 s reboot
    const events: UnitEvent[] = [];
    const a = acceptorFor(tag, events);
    // The unit's monotonic clock restarts at 0; its wall clock survived (valid).
    expect(a.importState(saved, 0, utc(bootMs), true)).toBe(true);
    // one a second: within the unit's MAC budget, so every frame is judged on its counter
    const replayMs = (i: number) => 1000 + i * MAC_REFILL_MS;
    const accepted = unsaved.filter((b, i) => {
      const ms = replayMs(i);
      return a.accept(DEFAULT_COMPANY_ID, b.frame, -60, ms, utc(bootMs + ms)).kind === "accepted";
    });
    // Only frames first heard within (slack + 1) intervals, plus the tolerance over the time since
    // the save (≤ 64 beacons), of the replay can pass: about 50 s at 8 s.
    const window = (PACE_SLACK + 1) * 8000 + (PACE_TOLERANCE_PCT / 100) * 64 * 8800 + 2000;
    expect(window).toBeLessThan(55000);
    for (const b of accepted)
      expect(bootMs + replayMs(unsaved.indexOf(b)) - b.ms).toBeLessThan(window);
    expect(accepted.length).toBeLessThanOrEqual(6);
    expect(a.counts.stale).toBeGreaterThan(55);
  });

  it("a unit that boots without a valid clock judges what it accepted once the time comes", () => {
    const { tag, rng, saved, unsaved } = beforeReboot(22);
    const bootMs = unsaved[unsaved.length - 1].ms + 10 * 60000; // replayed 10 minutes later
    const events: UnitEvent[] = [];
    const a = acceptorFor(tag, events);
    expect(a.importState(saved, 0, 0, false)).toBe(true);
    // Before the network gives the time, the replay is accepted: nothing to pace it against.
    for (let i = 0; i < 10; i++)
      expect(a.accept(DEFAULT_COMPANY_ID, unsaved[i].frame, -60, 1000 + i * 8000, 0).kind).toBe(
        AcceptKind.accepted,
      );
    // Time arrives: what was accepted is behind the saved anchor's pace — a replay, reported.
    a.clockValid(90000, utc(bootMs + 90000));
    expect(replayReports(events)).toHaveLength(1);
    expect(
      a.accept(DEFAULT_COMPANY_ID, unsaved[20].frame, -60, 91000, utc(bootMs + 91000)).kind,
    ).toBe(AcceptKind.stale);
    // The genuine tag, which counted on meanwhile, is accepted.
    const now = genuineBeacons(tag, rng, bootMs + 92000 - 8000 * 80, bootMs + 92000).pop()!;
    expect(a.accept(DEFAULT_COMPANY_ID, now.frame, -60, 92000, utc(bootMs + 92000)).kind).toBe(
      AcceptKind.accepted,
    );
  });
});
