// The receivers the vectors are written for (SPEC §14 "Receiver context"), and the verdict the
// device core gives one frame arriving at such a receiver with nothing accepted before it. The
// golden-vector test, the self-test bundle on the device engines and the conformance kit's
// reference adapter all judge the vectors through these, so none keeps its own idea of "the
// unit that receives this". Imports only the core: the self-test bundle runs it on devices.

import { openBeacon } from "../src/core/beacon.js";
import { fromHex } from "../src/core/bytes.js";
import type { KeyIdFields } from "../src/core/cose.js";
import { checkExpiry, openDownlink } from "../src/core/downlink.js";
import type { Result } from "../src/core/errors.js";
import { deriveKey, KeyPurpose } from "../src/core/keys.js";
import { sha256 } from "../src/core/sha256.js";
import { decodeSmsText } from "../src/core/sms-text.js";
import { openTagCommand } from "../src/core/tag-command.js";
import { openUplink } from "../src/core/uplink.js";

export type FrameKind = "beacon" | "tagCommand" | "uplink" | "downlink" | "sms";

/** Who receives a vector's frame, and what it holds. */
export interface VectorReceiver {
  /** unit: beacons and downlinks; tag: tag commands; centre: uplinks and SMS alarms. */
  role: "unit" | "tag" | "centre";
  /** The key versions whose keys it holds (a unit and a tag: of their own keys). */
  keyVersions: number[];
  /** unit: its own id. */
  unitId?: number;
  /** unit: the tag paired with it; tag: its own id. */
  tagId?: number;
  /** unit: the BLE company id its tag's beacons carry. */
  companyId?: number;
  /** unit: its clock (UTC s), against which a downlink's expiry is checked. */
  now?: number;
}

/** One vector as a receiver gets it: bytes in hex, or the text of an SMS. */
export interface VectorInput {
  kind: FrameKind;
  hex?: string;
  text?: string;
}

function holds(r: VectorReceiver, keyVersion: number): boolean {
  return r.keyVersions.indexOf(keyVersion) >= 0;
}

function req(v: number | undefined, what: string): number {
  if (v === undefined) throw new Error("vector receiver: no " + what);
  return v;
}

/** "ok" or the SPEC §14 code the core gives `input` at receiver `r` under fleet root `root`. */
export function coreVerdict(input: VectorInput, r: VectorReceiver, root: Uint8Array): string {
  const key = (purpose: number, device: number, kv: number) =>
    holds(r, kv) ? deriveKey(sha256, root, purpose, device, kv) : null;
  let result: Result<unknown>;
  if (input.kind === "sms") {
    const bytes = decodeSmsText(input.text ?? "");
    result = bytes.ok ? centreUplink(bytes.value, key) : bytes;
  } else {
    const b = fromHex(input.hex ?? "");
    if (b === null) throw new Error("vector: hex does not parse");
    if (input.kind === "beacon") {
      result = openBeacon(
        sha256,
        req(r.companyId, "company id"),
        b,
        (id, kv) => key(KeyPurpose.tagBeacon, id, kv),
        req(r.tagId, "paired tag"),
      );
    } else if (input.kind === "tagCommand") {
      const tag = req(r.tagId, "tag id");
      result = openTagCommand(sha256, b, tag, (kv) => key(KeyPurpose.tagCommand, tag, kv));
    } else if (input.kind === "uplink") result = centreUplink(b, key);
    else {
      const unit = req(r.unitId, "unit id");
      const d = openDownlink(sha256, b, unit, (kid: KeyIdFields) =>
        kid.deviceId === unit ? key(kid.purpose, kid.deviceId, kid.keyVersion) : null,
      );
      result = d.ok ? checkExpiry(d.value.downlink, req(r.now, "clock")) : d;
    }
  }
  return result.ok ? "ok" : result.code;
}

function centreUplink(
  b: Uint8Array,
  key: (purpose: number, device: number, kv: number) => Uint8Array | null,
): Result<unknown> {
  return openUplink(sha256, b, (kid) => key(kid.purpose, kid.deviceId, kid.keyVersion));
}
