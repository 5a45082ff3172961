// The device logic itself, driven by the shipped virtual hardware under virtual time: the tag's
// strap latch, the home unit's queue recovery, both DST nights of the schedule, command
// verification, presence and the relay check against the real tag. No timers and no host objects: the virtual clock does the waiting.

import { DEFAULT_COMPANY_ID } from "@em-platform/protocol/core/beacon";
import { copyBytes } from "@em-platform/protocol/core/bytes";
import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import type { KeyIdFields } from "@em-platform/protocol/core/cose";
import { encodeDownlink } from "@em-platform/protocol/core/downlink";
import { EventCode } from "@em-platform/protocol/core/events";
import { deriveKey, KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { type CommandHandlers, CommandProcessor } from "../base/commands/command-processor";
import { AcceptKind } from "../base/presence/beacon-acceptor";
import { type ChallengeWiring, HomePresence } from "../base/presence/home-presence";
import type { UnitEvent } from "../base/presence/presence-event";
import { VirtualTag as BeaconSigner, Prng } from "../base/presence/presence-testkit";
import { Presence } from "../base/presence/presence-tracker";
import { EventQueue } from "../base/queue/event-queue";
import { RamSegmentStore } from "../base/queue/ram-segment-store";
import { parseTzRule } from "../base/schedule/local-time";
import { requirementAt } from "../base/schedule/requirement";
import type { Schedule } from "../base/schedule/schedule";
import { defaultTagConfig } from "../tag/tag-config";
import { VirtualClock } from "../testing/virtual-clock";
import { VirtualFlash } from "../testing/virtual-flash";
import { identityFromRoot, VirtualTag } from "../testing/virtual-tag";
import { check, expectEqual } from "./harness";

function counting(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i;
  return b;
}
const ROOT = counting(32);
// 2026-03-01T00:00:00Z
const EPOCH_MS = 1772323200000;
const STRAP_LATCHED = 0x02;

function newTag(clock: VirtualClock, flash: VirtualFlash): VirtualTag {
  const t = new VirtualTag(
    clock,
    flash,
    identityFromRoot(ROOT, 0xc0ffee, 1, 0xffff),
    defaultTagConfig(),
    3,
    false,
  );
  t.start();
  return t;
}

function tagChecks(): void {
  check("tag: a strap cut is latched in a verified beacon within 2 s", () => {
    const clock = new VirtualClock(EPOCH_MS);
    const tag = newTag(clock, new VirtualFlash(40 * 1024));
    clock.advance(30000);
    const cutAt = clock.time;
    tag.hw.strap.set(false);
    const ok = clock.runUntil(() => {
      const f = tag.last();
      return f !== null && (f.flags & STRAP_LATCHED) !== 0;
    }, 2000);
    if (!ok) return "no latched beacon";
    if (tag.bad !== 0) return tag.bad + " frames failed verification";
    return clock.time - cutAt <= 2000 ? null : "took " + (clock.time - cutAt) + " ms";
  });
  check("tag: chatter shorter than the debounce never latches", () => {
    const clock = new VirtualClock(EPOCH_MS);
    const tag = newTag(clock, new VirtualFlash(40 * 1024));
    clock.advance(10000);
    for (let i = 0; i < 20; i++) {
      tag.hw.strap.set(false);
      clock.advance(300);
      tag.hw.strap.set(true);
      clock.advance(700);
    }
    clock.advance(20000);
    const f = tag.frames();
    for (let i = 0; i < f.length; i++)
      if (f[i].flags & STRAP_LATCHED) return "latched at frame " + i;
    return null;
  });
  check("tag: the latch survives a reboot", () => {
    const clock = new VirtualClock(EPOCH_MS);
    const tag = newTag(clock, new VirtualFlash(40 * 1024));
    clock.advance(5000);
    tag.hw.strap.set(false);
    clock.advance(2000);
    tag.hw.strap.set(true);
    clock.advance(2000);
    tag.reboot();
    clock.advance(20000);
    const f = tag.last();
    if (f === null || f.boot !== 1) return "no beacon after reboot";
    return (f.flags & STRAP_LATCHED) !== 0 ? null : "latch lost";
  });
}

function queueChecks(): void {
  check("home unit: a torn queue write keeps every earlier event", () => {
    let failures = "";
    for (let cut = 0; cut < 24; cut++) {
      const store = new RamSegmentStore(4, 512);
      const q = new EventQueue(store);
      for (let i = 0; i < 5; i++) q.append(1800000000 + i, EventCode.strapTamper, 1, null);
      store.cutAfterBytes(cut);
      q.append(1800000010, EventCode.heartbeat, 1, { 1: 1, 2: 3000, 8: "0.1.0" });
      store.restore();
      const seqs = new EventQueue(store).peek(100);
      if (seqs.length < 5) failures += " cut " + cut + ": " + seqs.length + " left;";
      for (let i = 0; i < 5; i++)
        if (seqs[i].event.seq !== i) failures += " cut " + cut + ": order;";
    }
    return failures === "" ? null : failures;
  });
}

function scheduleChecks(): void {
  const nightly: Schedule = {
    version: 1,
    validFrom: 1767225600,
    validTo: 1798761600,
    timeZone: 1,
    grace: 300,
    windows: [],
  };
  for (let d = 0; d < 7; d++)
    nightly.windows.push({ weekday: d, start: 22 * 60, length: 480, kind: 1 });
  check("schedule: 22:00–06:00 is 7 h on the March DST night (Riga)", () => {
    // Sunday 2026-03-29 00:30 UTC is inside the window that began Saturday 22:00 EET.
    const r = requirementAt(nightly, [], 1774744200);
    return expectEqual(r.windowEnd - r.windowStart, 7 * 3600);
  });
  check("schedule: 22:00–06:00 is 9 h on the October DST night (Riga)", () => {
    // Sunday 2026-10-25 00:30 UTC is inside the window that began Saturday 22:00 EEST.
    const r = requirementAt(nightly, [], 1792888200);
    return expectEqual(r.windowEnd - r.windowStart, 9 * 3600);
  });
  check("schedule: a POSIX TZ rule (Sydney): 22:00–06:00 is 9 h on the April DST night", () => {
    const sydney: Schedule = {
      version: 1,
      validFrom: nightly.validFrom,
      validTo: nightly.validTo,
      timeZone: "AEST-10AEDT,M10.1.0,M4.1.0/3",
      grace: 300,
      windows: nightly.windows,
    };
    // Saturday 2026-04-04 22:00 AEDT = 11:00 UTC; Sunday 06:00 AEST = 20:00 UTC.
    const r = requirementAt(sydney, [], 1775300400 + 3600);
    const bad = parseTzRule("AEST-10AEDT,M10.6.0,M4.1.0/3");
    return (
      expectEqual(r.windowStart + "-" + r.windowEnd, "1775300400-1775332800") ||
      expectEqual(bad, null)
    );
  });
}

function commandChecks(): void {
  check("commands: a forged downlink changes nothing; a valid one is acknowledged", () => {
    const unit = 0xa11c;
    const key = deriveKey(sha256, ROOT, KeyPurpose.unitDownlink, unit, 1);
    const events: UnitEvent[] = [];
    const n = { calls: 0 };
    const h = () => {
      n.calls++;
      return AckResult.ok;
    };
    const handlers: CommandHandlers = {
      setSchedule: h,
      addException: h,
      removeException: h,
      setRangePreset: h,
      setIntervals: h,
      forwardTagCommand: h,
      setTime: h,
      notifySubject: h,
      pairTag: h,
      decommission: h,
      reboot: h,
      requestStatus: h,
      rangeTest: h,
    };
    const p = new CommandProcessor({
      unitId: unit,
      sha: sha256,
      keys: (kid: KeyIdFields) => (kid.keyVersion === 1 ? key : null),
      wrapKey: () => null,
      counterState: null,
      handlers: handlers,
      sink: (e: UnitEvent) => {
        events.push(e);
      },
      saveCounter: () => {},
      reportPeriodMs: 600000,
    });
    const env = encodeDownlink(sha256, key, 1, {
      unitId: unit,
      counter: 1,
      issuedAt: 1800000000,
      expiresAt: 1800003600,
      code: CommandCode.requestStatus,
      args: null,
    });
    const forged = copyBytes(env);
    forged[forged.length - 1] ^= 1;
    if (p.handle(forged, 1800000001, 0) !== "forged" || n.calls !== 0)
      return "forged command acted";
    if (p.handle(env, 1800000001, 1) !== "acked" || (n.calls as number) !== 1)
      return "valid command not acked";
    if (p.handle(env, 1800000001, 2) !== "ignored" || (n.calls as number) !== 1)
      return "duplicate acted";
    return expectEqual(events[events.length - 1].code, EventCode.commandAck);
  });
}

const OUR = 0xc0ffee;

/** The unit's presence pipeline for tag OUR under ROOT, its events into `events`. */
function unitPresence(events: UnitEvent[], challenge: ChallengeWiring | null): HomePresence {
  const key = deriveKey(sha256, ROOT, KeyPurpose.tagBeacon, OUR, 1);
  return new HomePresence(
    {
      companyId: DEFAULT_COMPANY_ID,
      tagId: OUR,
      keys: (id, kv) => (id === OUR && kv === 1 ? key : null),
      sha256: sha256,
      sink: (e) => {
        events.push(e);
      },
      preset: 2,
      beaconIntervalMs: 8000,
      lastKnownPresence: Presence.present,
      challenge: challenge,
    },
    0,
  );
}

function presenceChecks(): void {
  function pipeline(events: UnitEvent[]): {
    hp: HomePresence;
    tag: BeaconSigner;
    other: BeaconSigner;
  } {
    const tag = new BeaconSigner(sha256, ROOT, DEFAULT_COMPANY_ID, OUR, 1);
    const other = new BeaconSigner(sha256, ROOT, DEFAULT_COMPANY_ID, OUR + 1, 1);
    const hp = unitPresence(events, null);
    return { hp: hp, tag: tag, other: other };
  }

  check("presence: 2 h of noisy at-home RSSI (σ 6 dB, 20 % lost) never reports a departure", () => {
    const events: UnitEvent[] = [];
    const p = pipeline(events);
    const rnd = new Prng(7);
    let t = 0;
    for (let i = 0; i < 900; i++) {
      t += 8000;
      p.hp.tick(t, 1772323200 + t / 1000);
      const frame = p.tag.next(); // a lost beacon still used its counter
      if (rnd.chance(0.2)) continue;
      p.hp.onAdvertisement(DEFAULT_COMPANY_ID, frame, Math.round(rnd.gauss(-72, 6)), t, 0);
    }
    if (p.hp.tracker.state() !== Presence.present) return "not present at the end";
    return expectEqual(events.length, 0);
  });

  check("presence: a neighbour's valid tag is ignored; a forged beacon of ours is reported", () => {
    const events: UnitEvent[] = [];
    const p = pipeline(events);
    const n = p.hp.onAdvertisement(DEFAULT_COMPANY_ID, p.other.next(), -50, 1000, 0);
    if (n.kind !== AcceptKind.ignored) return "neighbour not ignored: " + n.kind;
    const forged = p.tag.next();
    forged[19] ^= 1;
    const f = p.hp.onAdvertisement(DEFAULT_COMPANY_ID, forged, -50, 2000, 0);
    if (f.kind !== AcceptKind.forged) return "forgery not caught: " + f.kind;
    return expectEqual(events.length > 0 && events[0].code === EventCode.forgedFrameSeen, true);
  });
}

function relayChecks(): void {
  check(
    "relay check: the tag answers on time at home; a beacons-only relay is suspected once",
    () => {
      const clock = new VirtualClock(EPOCH_MS);
      const tag = newTag(clock, new VirtualFlash(40 * 1024));
      // A Jolt.js pool cannot hold half an hour of the fake radio's log (~16 JsVars a frame).
      tag.hw.keepAdverts = false;
      const events: UnitEvent[] = [];
      let relayed = false;
      const hp = unitPresence(events, {
        // Connected in 300 ms; the write reaches the tag 20 ms after it is sent, unless a
        // relay that carries only the beacons took the connection.
        link: {
          send: (frame, sent) => {
            clock.schedule(
              () => {
                sent();
                if (!relayed) clock.schedule(() => tag.board.commands.deliver(frame), 20, 0);
              },
              300,
              0,
            );
            return true;
          },
        },
        crypto: tag.board.crypto,
        clock: { monotonic: () => clock.time },
      });
      // Each frame reaches the unit 30 ms after the tag puts it on air.
      tag.board.advertiser.onAdvertise = (rec) => {
        clock.schedule(
          () => {
            hp.onAdvertisement(rec.companyId, rec.data, -60, clock.time, EPOCH_MS / 1000);
          },
          30,
          0,
        );
      };
      clock.schedule(() => hp.tick(clock.time, EPOCH_MS / 1000), 1000, 1000);
      clock.advance(13 * 60000);
      const c = hp.challenge as NonNullable<typeof hp.challenge>;
      if (c.counts.onTime < 3) return "answered on time: " + c.counts.onTime;
      if (c.counts.late + c.counts.unanswered > 0) return "misses at home";
      relayed = true;
      clock.advance(15 * 60000);
      let n = 0;
      for (let i = 0; i < events.length; i++) if (events[i].code === EventCode.relaySuspected) n++;
      return expectEqual(n, 1);
    },
  );
}

export function logicChecks(): void {
  tagChecks();
  presenceChecks();
  relayChecks();
  queueChecks();
  scheduleChecks();
  commandChecks();
}
