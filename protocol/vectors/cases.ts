// The golden cases: inputs only. `generate.ts` turns them into vectors/*.json with the device
// core; the tests check those bytes against both faces and an independent COSE library.

import { type BeaconFields, BeaconFlag, DEFAULT_COMPANY_ID } from "../src/core/beacon";
import { fromHex } from "../src/core/bytes";
import { AckResult, CommandCode } from "../src/core/commands";
import type { Downlink } from "../src/core/downlink";
import { EventCode } from "../src/core/events";
import { xorTagKey } from "../src/core/key-wrap";
import { deriveKey, KeyPurpose } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";
import { encodeTagCommand, RearmMask, TagCommandCode } from "../src/core/tag-command";
import type { Uplink } from "../src/core/uplink";
import type { FrameKind, VectorReceiver } from "./receiver";

export const ROOT_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
export const ROOT = fromHex(ROOT_HEX)!;
export const COMPANY_ID = DEFAULT_COMPANY_ID;

export const TAG_ID = 0x00c0ffee;
export const UNIT_ID = 0x0000a11c;

/** The receivers of the vectors (SPEC §14 "Receiver context"): unit 0x0000a11c paired with tag
 * 0x00c0ffee, the tag itself, and the centre; each holds keys of version 1 only. A downlink's
 * receiver also has a clock, which each downlink vector sets. */
export const RECEIVERS: Record<FrameKind, VectorReceiver> = {
  beacon: {
    role: "unit",
    keyVersions: [1],
    unitId: UNIT_ID,
    tagId: TAG_ID,
    companyId: DEFAULT_COMPANY_ID,
  },
  tagCommand: { role: "tag", keyVersions: [1], tagId: TAG_ID },
  uplink: { role: "centre", keyVersions: [1] },
  downlink: { role: "unit", keyVersions: [1], unitId: UNIT_ID, tagId: TAG_ID },
  sms: { role: "centre", keyVersions: [1] },
};

/** A company id whose two bytes differ, so its vector pins their order in the MAC input. */
export const ASYMMETRIC_COMPANY_ID = 0x0a5b;

export const beaconCases: { name: string; companyId: number; fields: BeaconFields }[] = [
  {
    name: "normal beacon, strap closed, battery 3.01 V",
    companyId: COMPANY_ID,
    fields: { tagId: TAG_ID, counter: 1000, flags: 0, batteryMv: 3010, keyVersion: 1 },
  },
  {
    name: "strap cut: open now and latched",
    companyId: COMPANY_ID,
    fields: {
      tagId: TAG_ID,
      counter: 1001,
      flags: BeaconFlag.strapOpen | BeaconFlag.strapLatched,
      batteryMv: 3000,
      keyVersion: 1,
    },
  },
  {
    name: "after reboot, battery low, not measured",
    companyId: COMPANY_ID,
    fields: {
      tagId: TAG_ID,
      counter: 1088,
      flags: BeaconFlag.rebooted | BeaconFlag.batteryLow | BeaconFlag.strapLatched,
      batteryMv: null,
      keyVersion: 1,
    },
  },
  {
    name: "a deployer's company id 0x0A5B (MAC input starts 5b 0a)",
    companyId: ASYMMETRIC_COMPANY_ID,
    fields: { tagId: TAG_ID, counter: 1089, flags: 0, batteryMv: 2990, keyVersion: 1 },
  },
  {
    name: "extended beacon, nothing latched (latch age 0)",
    companyId: COMPANY_ID,
    fields: {
      tagId: TAG_ID,
      counter: 1090,
      flags: 0,
      batteryMv: 3010,
      keyVersion: 1,
      strapLatchAgeS: 0,
      echo: 0,
    },
  },
  {
    name: "extended beacon: strap cut 4 h 0 min 2 s ago, closed again (latch age code 7,201)",
    companyId: COMPANY_ID,
    fields: {
      tagId: TAG_ID,
      counter: 2890,
      flags: BeaconFlag.strapLatched,
      batteryMv: 3000,
      keyVersion: 1,
      strapLatchAgeS: 14402,
      echo: 0,
    },
  },
  {
    name: "extended beacon: latched before the tag's last reboot (age unknown, code 0xFFFF)",
    companyId: COMPANY_ID,
    fields: {
      tagId: TAG_ID,
      counter: 2900,
      flags: BeaconFlag.strapLatched | BeaconFlag.rebooted,
      batteryMv: 2990,
      keyVersion: 1,
      strapLatchAgeS: null,
      echo: 0,
    },
  },
  {
    name: "extended beacon answering challenge 0xB7E0, the fourth frame since (echo 0xB7E3; revision 1.3)",
    companyId: COMPANY_ID,
    fields: {
      tagId: TAG_ID,
      counter: 2901,
      flags: 0,
      batteryMv: 2990,
      keyVersion: 1,
      strapLatchAgeS: 0,
      echo: 0xb7e3,
    },
  },
];

export const tagCommandCases = [
  {
    name: "re-arm strap and case latches",
    fields: {
      tagId: TAG_ID,
      counter: 1,
      keyVersion: 1,
      code: TagCommandCode.rearm,
      arg: RearmMask.strap | RearmMask.case,
    },
  },
  {
    name: "set beacon interval to 8 s",
    fields: {
      tagId: TAG_ID,
      counter: 2,
      keyVersion: 1,
      code: TagCommandCode.setBeaconInterval,
      arg: 8,
    },
  },
  {
    name: "identify: blink for 10 s",
    fields: { tagId: TAG_ID, counter: 3, keyVersion: 1, code: TagCommandCode.identify, arg: 10 },
  },
];

export const uplinkCases: { name: string; keyVersion: number; uplink: Uplink }[] = [
  {
    name: "strap tamper alarm, one event",
    keyVersion: 1,
    uplink: {
      unitId: UNIT_ID,
      counter: 17,
      sentAt: 1795000000,
      events: [
        { seq: 41, time: 1794999999, code: EventCode.strapTamper, tagId: TAG_ID, data: null },
      ],
    },
  },
  {
    name: "backlog batch: curfew violation, mains lost, heartbeat",
    keyVersion: 1,
    uplink: {
      unitId: UNIT_ID,
      counter: 18,
      sentAt: 1795003600,
      events: [
        {
          seq: 42,
          time: 1795000300,
          code: EventCode.curfewViolationStart,
          tagId: TAG_ID,
          data: { 1: 2, 2: 1795000000, 3: 7 },
        },
        { seq: 43, time: 1795001000, code: EventCode.mainsLost, tagId: null, data: { 1: 4020 } },
        {
          seq: 44,
          time: 1795003600,
          code: EventCode.heartbeat,
          tagId: TAG_ID,
          data: { 1: 2, 2: 3010, 3: 4010, 4: 0, 5: 0, 6: -71, 7: 3, 8: "0.1.0", 9: 17, 10: 0 },
        },
      ],
    },
  },
  {
    name: "command acknowledged",
    keyVersion: 1,
    uplink: {
      unitId: UNIT_ID,
      counter: 19,
      sentAt: 1795003700,
      events: [
        {
          seq: 45,
          time: 1795003699,
          code: EventCode.commandAck,
          tagId: null,
          data: { 1: 5, 2: CommandCode.setIntervals, 3: AckResult.ok },
        },
      ],
    },
  },
];

export const downlinkCases: { name: string; keyVersion: number; downlink: Downlink }[] = [
  {
    name: "set intervals: heartbeat 15 min, beacon 8 s",
    keyVersion: 1,
    downlink: {
      unitId: UNIT_ID,
      counter: 5,
      issuedAt: 1795003000,
      expiresAt: 1795089400,
      code: CommandCode.setIntervals,
      args: { 1: 900, 2: 8 },
    },
  },
  {
    name: "request status",
    keyVersion: 1,
    downlink: {
      unitId: UNIT_ID,
      counter: 6,
      issuedAt: 1795003100,
      expiresAt: 1795003700,
      code: CommandCode.requestStatus,
      args: null,
    },
  },
  {
    name: "set schedule: home 22:00-06:00 Monday to Friday, Riga's rule as text",
    keyVersion: 1,
    downlink: {
      unitId: UNIT_ID,
      counter: 7,
      issuedAt: 1795003200,
      expiresAt: 1795089600,
      code: CommandCode.setSchedule,
      args: {
        1: {
          1: 3,
          2: 1795046400,
          3: 1797638400,
          4: "EET-2EEST,M3.5.0/3,M10.5.0/4",
          5: 300,
          6: [0, 1, 2, 3, 4].map((day) => [day, 1320, 480, 1]),
        },
      },
    },
  },
  {
    name: "re-arm the tag's strap and case latches (the tag command above, forwarded unchanged)",
    keyVersion: 1,
    downlink: {
      unitId: UNIT_ID,
      counter: 8,
      issuedAt: 1795003300,
      expiresAt: 1795089700,
      code: CommandCode.rearmTag,
      args: {
        1: encodeTagCommand(
          sha256,
          deriveKey(sha256, ROOT, KeyPurpose.tagCommand, TAG_ID, 1),
          tagCommandCases[0].fields,
        ),
      },
    },
  },
  {
    name: "pair tag 0x00c0ffee at key version 1 (its beacon key wrapped under the unit's)",
    keyVersion: 1,
    downlink: {
      unitId: UNIT_ID,
      counter: 9,
      issuedAt: 1795003400,
      expiresAt: 1795089800,
      code: CommandCode.pairTag,
      args: {
        1: TAG_ID,
        2: 1,
        3: xorTagKey(
          sha256,
          deriveKey(sha256, ROOT, KeyPurpose.unitKeyWrap, UNIT_ID, 1),
          9,
          TAG_ID,
          deriveKey(sha256, ROOT, KeyPurpose.tagBeacon, TAG_ID, 1),
        ),
      },
    },
  },
];
