// Fuzz of the broker → client decoder: random bytes and mutations of valid streams, fed in random
// chunk sizes. Seeded (xorshift32), so a failure replays; the seed and case index are in the
// assertion message. Properties: nothing throws; every error is one of the typed codes and leaves
// the parser failed; every packet delivered is a receivable type with sane fields; the body buffer
// never grows past the limit; after reset() a known-good packet decodes exactly.

import { fromHex } from "@em-platform/protocol/core/bytes";
import { describe, expect, it } from "vitest";
import { MqttType } from "./mqtt-packets";
import { type MqttInbound, MqttParseError, MqttParser } from "./mqtt-parser";

const SEED = 0x5eed1234;
const CASES = 100000;
const MAX = 256;

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const VALID = [
  "20020100",
  "20020005",
  "9003000101",
  "90051234008002",
  "4002000a",
  "d000",
  "320a0004612f646e0007c0de",
  "31070003612f736f6b",
  "3a050001780100",
  "30050003c3a961",
].map((h) => fromHex(h) as Uint8Array);

const CODES = [
  MqttParseError.badRemainingLength,
  MqttParseError.unknownType,
  MqttParseError.unexpectedType,
  MqttParseError.badFlags,
  MqttParseError.tooLarge,
  MqttParseError.badLength,
  MqttParseError.badContent,
] as number[];

function sane(p: MqttInbound): boolean {
  switch (p.type) {
    case MqttType.connack:
      return p.returnCode >= 0 && p.returnCode <= 255;
    case MqttType.suback:
      return p.packetId > 0 && p.returnCodes.length > 0;
    case MqttType.puback:
      return p.packetId > 0 && p.packetId <= 65535;
    case MqttType.pingresp:
      return true;
    case MqttType.publish:
      return (
        (p.qos === 0 ? p.packetId === 0 : p.qos === 1 && p.packetId > 0) &&
        p.topic.length > 0 &&
        p.payload.length <= MAX
      );
  }
  return false;
}

function input(next: () => number, i: number): Uint8Array {
  const kind = i % 4;
  if (kind === 0) {
    const n = next() % 40;
    const b = new Uint8Array(n);
    for (let k = 0; k < n; k++) b[k] = next() & 255;
    return b;
  }
  // A stream of 1–4 valid packets, then mutated.
  const parts: number[] = [];
  const count = 1 + (next() % 4);
  for (let k = 0; k < count; k++) {
    const v = VALID[next() % VALID.length];
    for (let j = 0; j < v.length; j++) parts.push(v[j]);
  }
  const flips = 1 + (next() % 3);
  for (let k = 0; k < flips; k++) {
    const at = next() % parts.length;
    if (kind === 1) parts[at] ^= 1 << (next() % 8);
    else if (kind === 2) parts[at] = next() & 255;
    else parts.splice(at, next() % 3, next() & 255);
  }
  if (next() % 5 === 0) parts.length = next() % (parts.length + 1);
  const b = new Uint8Array(parts.length);
  for (let k = 0; k < parts.length; k++) b[k] = parts[k];
  return b;
}

const GOOD: MqttInbound = {
  type: 3,
  qos: 1,
  dup: false,
  retain: false,
  topic: "a/dn",
  packetId: 7,
  payload: new Uint8Array([0xc0, 0xde]),
};

describe("MqttParser fuzz", () => {
  it(`${CASES} random and mutated inputs, seed ${SEED.toString(16)}`, () => {
    const next = rng(SEED);
    let packets: MqttInbound[] = [];
    let errors: number[] = [];
    const parser = new MqttParser(
      {
        packet: (p) => {
          packets.push(p);
        },
        error: (code) => {
          errors.push(code);
        },
      },
      MAX,
    );
    const good = fromHex("320a0004612f646e0007c0de") as Uint8Array;
    const fail = (where: string, what: string): void => {
      expect.fail(where + ": " + what);
    };
    let errorCases = 0;
    let packetCount = 0;
    for (let i = 0; i < CASES; i++) {
      const data = input(next, i);
      packets = [];
      errors = [];
      let off = 0;
      while (off < data.length) {
        const n = 1 + (next() % 8);
        parser.push(data.subarray(off, off + n));
        off += n;
      }
      const where = `seed ${SEED.toString(16)} case ${i}`;
      // Plain checks in the loop (expect() per case would dominate the run time).
      if (errors.length > 1) return fail(where, "more than one error");
      if (errors.length === 1) {
        errorCases++;
        if (CODES.indexOf(errors[0]) < 0) return fail(where, "untyped error " + errors[0]);
        if (!parser.failed()) return fail(where, "not failed after an error");
      }
      for (let k = 0; k < packets.length; k++)
        if (!sane(packets[k])) return fail(where, "insane packet " + JSON.stringify(packets[k]));
      packetCount += packets.length;
      if ((parser as unknown as { buf: Uint8Array }).buf.length > MAX)
        return fail(where, "buffer over the limit");
      parser.reset();
      packets = [];
      errors = [];
      parser.push(good);
      if (errors.length !== 0 || packets.length !== 1) return fail(where, "no packet after reset");
      expect(packets[0]).toEqual(GOOD);
      parser.reset();
    }
    // The mix must exercise both sides, or the fuzz proves little.
    expect(errorCases).toBeGreaterThan(CASES / 4);
    expect(packetCount).toBeGreaterThan(CASES / 4);
  });
});
