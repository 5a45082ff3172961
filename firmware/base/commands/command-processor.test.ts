import { readFileSync } from "node:fs";
import { fromHex, toHex } from "@em-platform/protocol/core/bytes";
import type { CborMap, CborValue } from "@em-platform/protocol/core/cbor";
import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import type { KeyIdFields } from "@em-platform/protocol/core/cose";
import { type Downlink, encodeDownlink } from "@em-platform/protocol/core/downlink";
import { EventCode, FrameSource } from "@em-platform/protocol/core/events";
import { xorTagKey } from "@em-platform/protocol/core/key-wrap";
import { deriveKey, KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { encodeTagCommand, TagCommandCode } from "@em-platform/protocol/core/tag-command";
import { describe, expect, it } from "vitest";
import { TEST_ROOT as ROOT } from "../../testing/test-fleet";
import type { UnitEvent } from "../presence/presence-event";
import { decodeSchedule, validateSchedule } from "../schedule/schedule";
import { type CommandHandlers, CommandProcessor } from "./command-processor";
import { DOWNLINK_WINDOW, type DownlinkWindowState } from "./downlink-window";

const UNIT = 0xa11c;
const NOW = 1795000000;
const key = (p: number, dev: number, v: number) => deriveKey(sha256, ROOT, p, dev, v);
const keys = (kid: KeyIdFields) =>
  kid.keyVersion === 1 ? key(kid.purpose, kid.deviceId, 1) : null;

function rig(initial: DownlinkWindowState | null = null) {
  const events: UnitEvent[] = [];
  const calls: [string, unknown[]][] = [];
  let saved: DownlinkWindowState | null = initial;
  const record =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push([name, args]);
      return AckResult.ok;
    };
  const handlers: CommandHandlers = {
    setSchedule: record("setSchedule"),
    addException: record("addException"),
    removeException: record("removeException"),
    setRangePreset: record("setRangePreset"),
    setIntervals: record("setIntervals"),
    forwardTagCommand: record("forwardTagCommand"),
    setTime: record("setTime"),
    notifySubject: record("notifySubject"),
    pairTag: record("pairTag"),
    decommission: record("decommission"),
    reboot: record("reboot"),
    requestStatus: record("requestStatus"),
    rangeTest: record("rangeTest"),
  };
  const p = new CommandProcessor({
    unitId: UNIT,
    sha: sha256,
    keys,
    wrapKey: (v) => (v === 1 ? key(KeyPurpose.unitKeyWrap, UNIT, 1) : null),
    counterState: initial,
    handlers,
    sink: (e) => events.push(e),
    saveCounter: (s) => {
      saved = s;
    },
    reportPeriodMs: 600_000,
  });
  return { p, events, calls, saved: () => saved };
}

let counter = 100;
function downlink(
  code: number,
  args: CborMap | null,
  over: Partial<Downlink> = {},
  kv = 1,
): Uint8Array {
  const d: Downlink = {
    unitId: UNIT,
    counter: counter++,
    issuedAt: NOW - 10,
    expiresAt: NOW + 3600,
    code,
    args,
    ...over,
  };
  return encodeDownlink(sha256, key(KeyPurpose.unitDownlink, d.unitId, kv), kv, d);
}

const acks = (events: UnitEvent[]) =>
  events.filter((e) => e.code === EventCode.commandAck).map((e) => e.data![3]);

describe("downlink command processor", () => {
  it("acknowledges a valid command after calling its handler", () => {
    const r = rig();
    expect(r.p.handle(downlink(CommandCode.setIntervals, { 1: 900, 2: 8 }), NOW, 0)).toBe("acked");
    expect(r.calls).toEqual([["setIntervals", [900, 8]]]);
    expect(r.events[0].data).toEqual({
      1: counter - 1,
      2: CommandCode.setIntervals,
      3: AckResult.ok,
    });
    expect(r.saved()!.highest).toBe(counter - 1);
  });

  it("names the path in its reports: a forged SMS command is source 3, a forged MQTT one source 2", () => {
    const r = rig();
    const forged = downlink(CommandCode.reboot, null).slice();
    forged[forged.length - 1] ^= 1;
    expect(r.p.handleSms(forged, NOW, 0)).toBe("forged");
    expect(r.p.handle(forged, NOW, 0)).toBe("forged");
    expect(r.events.map((e) => [e.code, e.data])).toEqual([
      [EventCode.forgedFrameSeen, { 1: 1, 2: FrameSource.sms }],
      [EventCode.forgedFrameSeen, { 1: 1, 2: FrameSource.downlink }],
    ]);
    // One counter for both paths: a command seen by SMS is a duplicate over MQTT.
    const cmd = downlink(CommandCode.setIntervals, { 1: 900, 2: 8 });
    expect(r.p.handleSms(cmd, NOW, 0)).toBe("acked");
    expect(r.p.handle(cmd, NOW, 1)).toBe("ignored");
  });

  it("forged, wrong-unit and unknown-key-version downlinks change nothing and are reported once per period", () => {
    const r = rig();
    const good = downlink(CommandCode.reboot, null);
    const forged = good.slice();
    forged[forged.length - 1] ^= 1;
    expect(r.p.handle(forged, NOW, 0)).toBe("forged");
    expect(r.p.handle(downlink(CommandCode.reboot, null, { unitId: UNIT + 1 }), NOW, 1000)).toBe(
      "forged",
    );
    expect(r.p.handle(downlink(CommandCode.reboot, null, {}, 2), NOW, 2000)).toBe("forged");
    expect(r.calls).toEqual([]);
    expect(r.events.map((e) => e.code)).toEqual([EventCode.forgedFrameSeen]);
    r.p.tick(600_001, NOW + 600);
    expect(r.events.map((e) => e.data)).toEqual([
      { 1: 1, 2: 2 },
      { 1: 2, 2: 2 },
    ]);
  });

  it("a replayed command changes nothing and raises replayed_frame_seen; an MQTT redelivery is silent", () => {
    const r = rig();
    const old = downlink(CommandCode.setTime, { 1: NOW });
    counter += DOWNLINK_WINDOW;
    const second = downlink(CommandCode.setTime, { 1: NOW + 5 });
    expect(r.p.handle(second, NOW, 0)).toBe("acked");
    expect(r.p.handle(second, NOW, 1)).toBe("ignored");
    expect(r.p.handle(old, NOW, 2)).toBe("replayed"); // below the window
    expect(r.calls.length).toBe(1);
    expect(r.events.map((e) => e.code)).toEqual([
      EventCode.commandAck,
      EventCode.replayedFrameSeen,
    ]);
  });

  it("issue 11, attack 8: a command late on MQTT after a newer one by SMS is executed, once", () => {
    const r = rig();
    const viaMqtt = downlink(CommandCode.setRangePreset, { 1: 2 });
    const viaSms = downlink(CommandCode.setTime, { 1: NOW });
    expect(r.p.handleSms(viaSms, NOW, 0)).toBe("acked");
    expect(r.p.handle(viaMqtt, NOW, 1)).toBe("acked"); // the strict rule called this a replay
    expect(r.calls.map((c) => c[0])).toEqual(["setTime", "setRangePreset"]);
    // Each only once, across a reboot too: the window is persisted with the counter.
    expect(r.p.handle(viaMqtt, NOW, 2)).toBe("ignored");
    const after = rig(r.saved());
    expect(after.p.handle(viaMqtt, NOW, 3)).toBe("ignored");
    expect(after.p.handleSms(viaSms, NOW, 4)).toBe("ignored");
    expect(after.calls).toEqual([]);
    expect(r.events.filter((e) => e.code === EventCode.replayedFrameSeen)).toEqual([]);
  });

  it("a replay after a reboot is still caught (the counter is persisted before the effect)", () => {
    const r = rig();
    const cmd = downlink(CommandCode.reboot, null);
    r.p.handle(cmd, NOW, 0);
    const after = rig(r.saved());
    expect(after.p.handle(cmd, NOW, 0)).toBe("ignored");
    expect(after.p.handle(downlink(CommandCode.reboot, null, { counter: 5 }), NOW, 0)).toBe(
      "replayed",
    );
    expect(after.calls).toEqual([]);
  });

  it("an expired command is acknowledged as expired and not executed", () => {
    const r = rig();
    r.p.handle(
      downlink(CommandCode.reboot, null, { issuedAt: NOW - 100, expiresAt: NOW - 1 }),
      NOW,
      0,
    );
    expect(r.calls).toEqual([]);
    expect(acks(r.events)).toEqual([AckResult.expired]);
  });

  it("checks arguments before any handler runs", () => {
    const r = rig();
    const bad: [number, CborMap | null][] = [
      [CommandCode.setSchedule, null],
      [CommandCode.setSchedule, { 1: 5 }],
      [CommandCode.addException, { 1: 1, 2: NOW, 3: NOW + 7201, 4: 1 }],
      [CommandCode.addException, { 1: 1, 2: NOW + 10, 3: NOW, 4: 1 }],
      [CommandCode.addException, { 1: 1, 2: NOW, 3: NOW + 60, 4: 3 }],
      [CommandCode.setRangePreset, { 1: 4 }],
      [CommandCode.setIntervals, { 1: 59 }],
      [CommandCode.setIntervals, { 2: 601 }],
      [CommandCode.setIntervals, {}],
      [CommandCode.rearmTag, { 1: new Uint8Array(29) }],
      [CommandCode.setTime, { 1: -1 }],
      [CommandCode.notifySubject, { 1: 1, 2: 0 }],
      [CommandCode.pairTag, { 1: 5, 2: 1, 3: new Uint8Array(31) }],
      [CommandCode.rangeTest, { 1: 5 }],
    ];
    for (const [code, args] of bad) r.p.handle(downlink(code, args), NOW, 0);
    expect(r.calls).toEqual([]);
    expect(acks(r.events)).toEqual(bad.map(() => AckResult.badArguments));
    r.p.handle(downlink(0x7f, null), NOW, 0);
    expect(acks(r.events).pop()).toBe(AckResult.unsupported);
  });

  it("accepts a supervisor-approved exception longer than 2 hours", () => {
    const r = rig();
    r.p.handle(
      downlink(CommandCode.addException, { 1: 7, 2: NOW, 3: NOW + 6 * 3600, 4: 1, 5: true }),
      NOW,
      0,
    );
    expect(r.calls[0][0]).toBe("addException");
    expect(acks(r.events)).toEqual([AckResult.ok]);
  });

  it("forwards a centre-signed re-arm frame unchanged", () => {
    const r = rig();
    const frame = encodeTagCommand(sha256, key(KeyPurpose.tagCommand, 0xc0ffee, 1), {
      tagId: 0xc0ffee,
      counter: 3,
      keyVersion: 1,
      code: TagCommandCode.rearm,
      arg: 1,
    });
    r.p.handle(downlink(CommandCode.rearmTag, { 1: frame }), NOW, 0);
    expect(r.calls[0][0]).toBe("forwardTagCommand");
    expect(Buffer.from(r.calls[0][1][0] as Uint8Array).equals(Buffer.from(frame))).toBe(true);
  });

  it("every golden downlink vector is executed and acknowledged ok at its receiver's clock", () => {
    const file = JSON.parse(
      readFileSync(new URL("../../../protocol/vectors/downlink.json", import.meta.url), "utf8"),
    );
    for (const v of file.vectors) {
      const r = rig();
      expect(v.receiver.unitId, v.name).toBe(UNIT);
      expect(r.p.handle(fromHex(v.hex)!, v.receiver.now, 0), v.name).toBe("acked");
      const ack = r.events.find((e) => e.code === EventCode.commandAck);
      expect(ack?.data, v.name).toEqual({
        1: v.downlink.counter,
        2: v.downlink.code,
        3: AckResult.ok,
      });
      if (v.downlink.code === CommandCode.setSchedule) {
        // The schedule in it is one the unit's schedule engine takes.
        const d = decodeSchedule(r.calls[0][1][0] as CborValue);
        const ok = d.ok ? validateSchedule(d.value, null, v.downlink.issuedAt) : d;
        expect(ok.ok, v.name + ": " + JSON.stringify(ok)).toBe(true);
      }
      if (v.downlink.code === CommandCode.pairTag) {
        // The vector's wrapped key opens to the tag's beacon key under this unit's wrap key.
        const [tagId, kv, beaconKey] = r.calls[0][1] as [number, number, Uint8Array];
        expect(toHex(beaconKey)).toBe(toHex(key(KeyPurpose.tagBeacon, tagId, kv)));
      }
    }
  });

  it("pair_tag unwraps the tag-beacon key the centre wrapped", () => {
    const r = rig();
    const tagId = 0xc0ffee;
    const beaconKey = key(KeyPurpose.tagBeacon, tagId, 1);
    const c = counter;
    const wrapped = xorTagKey(sha256, key(KeyPurpose.unitKeyWrap, UNIT, 1), c, tagId, beaconKey);
    expect(Buffer.from(wrapped).equals(Buffer.from(beaconKey))).toBe(false);
    r.p.handle(
      downlink(CommandCode.pairTag, { 1: tagId, 2: 1, 3: wrapped } as Record<number, CborValue>),
      NOW,
      0,
    );
    expect(r.calls[0][0]).toBe("pairTag");
    expect(r.calls[0][1][0]).toBe(tagId);
    expect(Buffer.from(r.calls[0][1][2] as Uint8Array).equals(Buffer.from(beaconKey))).toBe(true);
  });

  it("issue 11, 9: a tag at key version 3 pairs with a unit at key version 1", () => {
    const r = rig();
    const tagId = 0xc0ffee;
    const beaconKey = key(KeyPurpose.tagBeacon, tagId, 3);
    const wrapped = xorTagKey(
      sha256,
      key(KeyPurpose.unitKeyWrap, UNIT, 1),
      counter,
      tagId,
      beaconKey,
    );
    const args = { 1: tagId, 2: 3, 3: wrapped } as Record<number, CborValue>;
    r.p.handle(downlink(CommandCode.pairTag, args), NOW, 0);
    // Before: the wrap key was looked up by the tag's version (3), which the unit does not hold.
    expect(r.calls.map((c) => c[0])).toEqual(["pairTag"]);
    expect(r.calls[0][1][1]).toBe(3);
    expect(Buffer.from(r.calls[0][1][2] as Uint8Array).equals(Buffer.from(beaconKey))).toBe(true);
  });
});
