// The protocol golden vectors, run by the device core on whatever engine runs this bundle.

import { encodeBeacon } from "@em-platform/protocol/core/beacon";
import { fromHex, toHex, utf8Decode, utf8Encode } from "@em-platform/protocol/core/bytes";
import { type CborMap, decodeCbor, encodeCbor } from "@em-platform/protocol/core/cbor";
import type { KeyIdFields } from "@em-platform/protocol/core/cose";
import { type CounterStore, SenderCounter } from "@em-platform/protocol/core/counters";
import { type Downlink, encodeDownlink } from "@em-platform/protocol/core/downlink";
import { hmacSha256 } from "@em-platform/protocol/core/hmac";
import { deriveKey, KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { decodeSmsText, encodeSmsText } from "@em-platform/protocol/core/sms-text";
import { encodeTagCommand } from "@em-platform/protocol/core/tag-command";
import { encodeUplink, openUplink, type Uplink } from "@em-platform/protocol/core/uplink";
import beaconVectors from "@em-platform/protocol/vectors/beacon.json";
import downlinkVectors from "@em-platform/protocol/vectors/downlink.json";
import invalidVectors from "@em-platform/protocol/vectors/invalid.json";
import { fromJsonView, type JsonView } from "@em-platform/protocol/vectors/json-view";
import keyVectors from "@em-platform/protocol/vectors/keys.json";
import {
  coreVerdict,
  type FrameKind,
  type VectorInput,
  type VectorReceiver,
} from "@em-platform/protocol/vectors/receiver";
import tagCommandVectors from "@em-platform/protocol/vectors/tag-command.json";
import uplinkVectors from "@em-platform/protocol/vectors/uplink.json";
import { check, expectEqual } from "../../firmware/selftest/harness";

const ROOT = fromHex(keyVectors.root) as Uint8Array;
const ACCEPTED = uplinkVectors.receiver.keyVersions;

function key(purpose: number, device: number, version: number): Uint8Array {
  return deriveKey(sha256, ROOT, purpose, device, version);
}

function lookup(kid: KeyIdFields): Uint8Array | null {
  return ACCEPTED.indexOf(kid.keyVersion) >= 0
    ? key(kid.purpose, kid.deviceId, kid.keyVersion)
    : null;
}

/** A vector file's receiver (JSON: its role is a plain string), with some fields replaced. */
function receiver(r: object, over: Partial<VectorReceiver>): VectorReceiver {
  const out = {} as Record<string, unknown>;
  const from = r as Record<string, unknown>;
  for (const k in from) out[k] = from[k];
  for (const k in over) out[k] = (over as Record<string, unknown>)[k];
  return out as unknown as VectorReceiver;
}

export function protocolChecks(): void {
  check("sha256('abc')", () =>
    expectEqual(
      toHex(sha256(utf8Encode("abc"))),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ),
  );
  check("HMAC-SHA256 RFC 4231 case 2", () =>
    expectEqual(
      toHex(hmacSha256(sha256, utf8Encode("Jefe"), utf8Encode("what do ya want for nothing?"))),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
  );
  check("UTF-8 round trip of non-ASCII text", () =>
    expectEqual(utf8Decode(utf8Encode("Rīga, Vilnius \ud83d\ude00")), "Rīga, Vilnius \ud83d\ude00"),
  );
  for (let i = 0; i < keyVectors.vectors.length; i++) {
    const k = keyVectors.vectors[i];
    check("HKDF key purpose " + k.purpose + " device " + k.deviceId, () =>
      expectEqual(toHex(key(k.purpose, k.deviceId, k.keyVersion)), k.key),
    );
  }
  for (let i = 0; i < beaconVectors.vectors.length; i++) {
    const b = beaconVectors.vectors[i];
    check("beacon vector: " + b.name, () => {
      const bytes = encodeBeacon(
        sha256,
        key(KeyPurpose.tagBeacon, b.fields.tagId, b.fields.keyVersion),
        b.companyId,
        b.fields,
      );
      if (toHex(bytes) !== b.hex) return "encoded " + toHex(bytes);
      const at = receiver(beaconVectors.receiver, { companyId: b.companyId });
      return expectEqual(coreVerdict({ kind: "beacon", hex: b.hex }, at, ROOT), "ok");
    });
  }
  for (let i = 0; i < tagCommandVectors.vectors.length; i++) {
    const c = tagCommandVectors.vectors[i];
    check("tag command vector: " + c.name, () => {
      const k = key(KeyPurpose.tagCommand, c.fields.tagId, c.fields.keyVersion);
      const bytes = encodeTagCommand(sha256, k, c.fields);
      if (toHex(bytes) !== c.hex) return "encoded " + toHex(bytes);
      const at = receiver(tagCommandVectors.receiver, {});
      return expectEqual(coreVerdict({ kind: "tagCommand", hex: c.hex }, at, ROOT), "ok");
    });
  }
  for (let i = 0; i < uplinkVectors.vectors.length; i++) {
    const u = uplinkVectors.vectors[i];
    check("uplink vector: " + u.name, () => {
      const up = u.uplink as unknown as Uplink;
      const bytes = encodeUplink(
        sha256,
        key(KeyPurpose.unitUplink, up.unitId, u.keyVersion),
        u.keyVersion,
        up,
      );
      if (toHex(bytes) !== u.hex) return "encoded " + toHex(bytes);
      const o = openUplink(sha256, bytes, lookup);
      if (!o.ok) return o.code;
      return expectEqual(
        toHex(encodeCbor(o.value.uplink.events[0].seq)),
        toHex(encodeCbor(up.events[0].seq)),
      );
    });
  }
  for (let i = 0; i < downlinkVectors.vectors.length; i++) {
    const d = downlinkVectors.vectors[i];
    check("downlink vector: " + d.name, () => {
      const dl = d.downlink as unknown as Downlink;
      dl.args = dl.args === null ? null : (fromJsonView(d.downlink.args as JsonView) as CborMap);
      const bytes = encodeDownlink(
        sha256,
        key(KeyPurpose.unitDownlink, dl.unitId, d.keyVersion),
        d.keyVersion,
        dl,
      );
      if (toHex(bytes) !== d.hex) return "encoded " + toHex(bytes);
      const at = receiver(d.receiver, {});
      return expectEqual(coreVerdict({ kind: "downlink", hex: d.hex }, at, ROOT), "ok");
    });
  }
  for (let i = 0; i < invalidVectors.vectors.length; i++) {
    const v = invalidVectors.vectors[i];
    check("rejects " + v.name, () => {
      const input: VectorInput = { kind: v.kind as FrameKind, hex: v.hex, text: v.text };
      return expectEqual(coreVerdict(input, receiver(v.receiver, {}), ROOT), v.error);
    });
  }
  check("CBOR: 2^53-1 and -(2^53-1) round trip exactly", () => {
    const big = [9007199254740991, -9007199254740991, 4294967296, 4294967295];
    const d = decodeCbor(encodeCbor(big));
    if (!d.ok) return d.code;
    const arr = d.value as number[];
    for (let i = 0; i < big.length; i++) if (arr[i] !== big[i]) return "got " + arr[i];
    return null;
  });
  check("SMS text form round trip", () => {
    const env = fromHex(uplinkVectors.vectors[0].hex) as Uint8Array;
    const d = decodeSmsText(encodeSmsText(env));
    return d.ok ? expectEqual(toHex(d.value), toHex(env)) : d.code;
  });
  check("sender counter never repeats across 200 reboots", () => {
    let stored: number | null = null;
    let writes = 0;
    const store: CounterStore = {
      load: () => stored,
      save: (v: number) => {
        stored = v;
        writes++;
      },
    };
    let last = -1;
    let frames = 0;
    for (let boot = 0; boot < 200; boot++) {
      const s = new SenderCounter(store, 64);
      const n = (boot * 37) % 150;
      for (let i = 0; i < n; i++) {
        const c = s.take();
        if (!c.ok) return c.code;
        if (c.value <= last) return "counter " + c.value + " after " + last;
        last = c.value;
        frames++;
      }
    }
    return writes <= Math.floor(frames / 64) + 200 ? null : writes + " flash writes";
  });
}
