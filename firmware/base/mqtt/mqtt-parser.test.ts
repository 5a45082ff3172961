// The broker → client decoder against hand-written MQTT 3.1.1 byte vectors: every packet a
// client receives, every split point of a stream, and each malformed form with its typed error.

import { concatBytes, fromHex } from "@em-platform/protocol/core/bytes";
import { describe, expect, it } from "vitest";
import {
  type MqttInbound,
  MqttParseError,
  type MqttParseErrorCode,
  MqttParser,
} from "./mqtt-parser";

function hex(h: string): Uint8Array {
  return fromHex(h.replace(/ /g, "")) as Uint8Array;
}

interface Recorder {
  packets: MqttInbound[];
  errors: MqttParseErrorCode[];
  parser: MqttParser;
}

function recorder(max = 4096): Recorder {
  const r: Recorder = {
    packets: [],
    errors: [],
    parser: null as unknown as MqttParser,
  };
  r.parser = new MqttParser(
    {
      packet: (p) => {
        r.packets.push(p);
      },
      error: (code) => {
        r.errors.push(code);
      },
    },
    max,
  );
  return r;
}

// The stream a client sees in a typical session (each line one packet).
const STREAM = [
  "20 02 01 00", // CONNACK, session present, accepted
  "90 03 00 01 01", // SUBACK id 1, granted QoS 1
  "40 02 00 02", // PUBACK id 2
  "32 0a 00 04 61 2f 64 6e 00 07 c0 de", // PUBLISH QoS 1 "a/dn" id 7, payload c0 de
  "d0 00", // PINGRESP
  "31 07 00 03 61 2f 73 6f 6b", // PUBLISH QoS 0 retained "a/s" payload "ok"
  "3a 05 00 01 78 01 00", // PUBLISH QoS 1 DUP "x" id 256, empty payload
];

const DECODED: MqttInbound[] = [
  { type: 2, sessionPresent: true, returnCode: 0 },
  { type: 9, packetId: 1, returnCodes: [1] },
  { type: 4, packetId: 2 },
  {
    type: 3,
    qos: 1,
    dup: false,
    retain: false,
    topic: "a/dn",
    packetId: 7,
    payload: new Uint8Array([0xc0, 0xde]),
  },
  { type: 13 },
  {
    type: 3,
    qos: 0,
    dup: false,
    retain: true,
    topic: "a/s",
    packetId: 0,
    payload: new Uint8Array([0x6f, 0x6b]),
  },
  {
    type: 3,
    qos: 1,
    dup: true,
    retain: false,
    topic: "x",
    packetId: 256,
    payload: new Uint8Array(0),
  },
];

describe("MqttParser: valid packets", () => {
  it("decodes a whole stream pushed at once", () => {
    const r = recorder();
    r.parser.push(hex(STREAM.join("")));
    expect(r.packets).toEqual(DECODED);
    expect(r.errors).toEqual([]);
    expect(r.parser.stats.packets).toBe(7);
  });

  it("decodes the same at every single split point and byte by byte", () => {
    const all = hex(STREAM.join(""));
    for (let cut = 0; cut <= all.length; cut++) {
      const r = recorder();
      r.parser.push(all.subarray(0, cut));
      r.parser.push(all.subarray(cut));
      expect(r.packets).toEqual(DECODED);
      expect(r.errors).toEqual([]);
    }
    const r = recorder();
    for (let i = 0; i < all.length; i++) r.parser.push(all.subarray(i, i + 1));
    expect(r.packets).toEqual(DECODED);
  });

  it("decodes at every pair of split points", () => {
    const all = hex(STREAM.join(""));
    for (let a = 0; a <= all.length; a++)
      for (let b = a; b <= all.length; b++) {
        const r = recorder();
        r.parser.push(all.subarray(0, a));
        r.parser.push(all.subarray(a, b));
        r.parser.push(all.subarray(b));
        expect(r.packets.length).toBe(DECODED.length);
      }
  });

  it("CONNACK return codes 1–5 are packets (the client judges them), not parse errors", () => {
    const r = recorder();
    r.parser.push(hex("20 02 00 05 20 02 00 01"));
    expect(r.packets).toEqual([
      { type: 2, sessionPresent: false, returnCode: 5 },
      { type: 2, sessionPresent: false, returnCode: 1 },
    ]);
  });

  it("SUBACK with several codes, including failure 0x80", () => {
    const r = recorder();
    r.parser.push(hex("90 05 12 34 00 80 02"));
    expect(r.packets).toEqual([{ type: 9, packetId: 0x1234, returnCodes: [0, 0x80, 2] }]);
  });

  it("a multi-byte Remaining Length and a payload up to the limit", () => {
    const payload = new Uint8Array(200);
    for (let i = 0; i < payload.length; i++) payload[i] = i;
    // 2+1 topic + 2 id + 200 = 205 = 0xcd 0x01.
    const bytes = concatBytes([hex("32 cd 01 00 01 74 00 09"), payload]);
    const r = recorder(205);
    r.parser.push(bytes);
    expect(r.packets).toEqual([
      { type: 3, qos: 1, dup: false, retain: false, topic: "t", packetId: 9, payload: payload },
    ]);
  });

  it("a UTF-8 topic", () => {
    const r = recorder();
    r.parser.push(hex("30 05 00 03 c3 a9 61"));
    expect((r.packets[0] as { topic: string }).topic).toBe("éa");
  });
});

describe("MqttParser: malformed input", () => {
  const cases: [string, string, MqttParseErrorCode][] = [
    ["5-byte Remaining Length", "30 ff ff ff ff 01", MqttParseError.badRemainingLength],
    ["type 0", "00 00", MqttParseError.unknownType],
    ["type 15", "f0 00", MqttParseError.unknownType],
    ["CONNECT from a broker", "10 00", MqttParseError.unexpectedType],
    ["PUBREC (QoS 2 flow)", "50 02 00 01", MqttParseError.unexpectedType],
    ["UNSUBACK", "b0 02 00 01", MqttParseError.unexpectedType],
    ["PINGREQ from a broker", "c0 00", MqttParseError.unexpectedType],
    ["CONNACK with flags", "21 02 00 00", MqttParseError.badFlags],
    ["PINGRESP with flags", "d8 00", MqttParseError.badFlags],
    ["PUBLISH QoS 3", "36 05 00 01 61 00 01", MqttParseError.badFlags],
    ["PUBLISH QoS 2", "34 05 00 01 61 00 01", MqttParseError.badFlags],
    ["over the limit (4097)", "30 81 20", MqttParseError.tooLarge],
    ["the largest length", "30 ff ff ff 7f", MqttParseError.tooLarge],
    ["CONNACK length 3", "20 03 00 00 00", MqttParseError.badLength],
    ["PUBACK length 1", "40 01 00", MqttParseError.badLength],
    ["PINGRESP length 1", "d0 01 00", MqttParseError.badLength],
    ["SUBACK without codes", "90 02 00 01", MqttParseError.badLength],
    ["PUBLISH topic past the end", "30 03 00 05 61", MqttParseError.badLength],
    ["PUBLISH QoS 1 without id", "32 03 00 01 61", MqttParseError.badLength],
    ["PUBLISH length 1", "30 01 00", MqttParseError.badLength],
    ["CONNACK reserved bit", "20 02 02 00", MqttParseError.badContent],
    ["refused CONNACK with session", "20 02 01 05", MqttParseError.badContent],
    ["SUBACK code 3", "90 03 00 01 03", MqttParseError.badContent],
    ["SUBACK id 0", "90 03 00 00 01", MqttParseError.badContent],
    ["PUBACK id 0", "40 02 00 00", MqttParseError.badContent],
    ["PUBLISH id 0", "32 05 00 01 61 00 00", MqttParseError.badContent],
    ["PUBLISH wildcard", "30 05 00 03 61 2f 2b", MqttParseError.badContent],
    ["PUBLISH # in topic", "30 03 00 01 23", MqttParseError.badContent],
    ["PUBLISH NUL in topic", "30 03 00 01 00", MqttParseError.badContent],
    ["PUBLISH bad UTF-8", "30 03 00 01 ff", MqttParseError.badContent],
    ["PUBLISH empty topic", "30 02 00 00", MqttParseError.badContent],
  ];

  for (const [name, bytes, code] of cases)
    it(name, () => {
      const r = recorder();
      r.parser.push(hex(bytes));
      expect(r.errors).toEqual([code]);
      expect(r.packets).toEqual([]);
      expect(r.parser.failed()).toBe(true);
    });

  it("after an error, input is ignored until reset(); then a valid packet decodes", () => {
    const r = recorder();
    r.parser.push(hex("00 d0 00 20 02 00 00"));
    expect(r.errors).toEqual([MqttParseError.unknownType]);
    expect(r.packets).toEqual([]);
    expect(r.parser.stats.discarded).toBe(6);
    r.parser.reset();
    r.parser.push(hex("d0 00"));
    expect(r.packets).toEqual([{ type: 13 }]);
    expect(r.parser.failed()).toBe(false);
  });

  it("a reset mid-packet drops the partial packet", () => {
    const r = recorder();
    r.parser.push(hex("32 0a 00 04 61"));
    r.parser.reset();
    r.parser.push(hex("20 02 00 00"));
    expect(r.packets).toEqual([{ type: 2, sessionPresent: false, returnCode: 0 }]);
    expect(r.parser.stats.discarded).toBe(5);
  });

  it("a reset from inside the sink drops the rest of that chunk", () => {
    const packets: MqttInbound[] = [];
    const p: MqttParser = new MqttParser(
      {
        packet: (x) => {
          packets.push(x);
          p.reset();
        },
        error: () => {},
      },
      64,
    );
    p.push(hex("d0 00 d0 00"));
    expect(packets.length).toBe(1);
    p.push(hex("d0 00"));
    expect(packets.length).toBe(2);
  });
});
