// The centre's acceptance of one uplink envelope (SPEC §14 "Order of checks", uplink at the
// centre): verify and decode, bind to the MQTT topic, refuse a key downgrade, classify the
// counter in the window of its (unit, key version). The reference receiver and the conformance
// kit's reference adapter both run this, so the kit checks the rule the simulator lives by.

import type { KeyLookup } from "../core/cose.js";
import type { ErrorCodeValue } from "../core/errors.js";
import type { OpenedUplink } from "../core/uplink.js";
import { WindowReceiverCounter } from "../core/window-counter.js";
import { openUplinkHost } from "./envelope.js";

/** SPEC §3 default gap bound for uplinks. */
export const UPLINK_GAP = 1000000;

/** The centre's own rejections (SPEC §14), beyond what decoding an envelope can give. */
export const CentreReject = {
  /** The verified unit id differs from the unit id in the MQTT topic (§13). */
  topicMismatch: "topic_mismatch",
  /** A key version below the highest this unit has used (§3). */
  keyDowngrade: "key_downgrade",
} as const;

export type UplinkRejectCode = ErrorCodeValue | (typeof CentreReject)[keyof typeof CentreReject];

export type UplinkVerdict =
  | { ok: true; value: OpenedUplink }
  /** `unitId`: set once the envelope verified (a centre rule refused it, not the bytes). */
  | { ok: false; code: UplinkRejectCode; message: string; unitId?: number };

interface UnitCounters {
  /** One window per key version: a re-keyed unit restarts its counter at 0 (§3). */
  windows: Map<number, WindowReceiverCounter>;
  maxKeyVersion: number;
}

export class UplinkAcceptor {
  private readonly units = new Map<number, UnitCounters>();

  constructor(
    private readonly keys: KeyLookup,
    private readonly gap: number = UPLINK_GAP,
  ) {}

  /**
   * Accepts a fresh envelope (its counter marked seen) or says why not. `topicUnitId`: the unit
   * id of the MQTT topic it came on; undefined for SMS, which carry none.
   */
  accept(bytes: Uint8Array, topicUnitId?: number): UplinkVerdict {
    const o = openUplinkHost(bytes, this.keys);
    if (!o.ok) return o;
    const up = o.value.uplink;
    if (topicUnitId !== undefined && topicUnitId !== up.unitId)
      return reject(CentreReject.topicMismatch, "topic names unit " + topicUnitId, up.unitId);
    let u = this.units.get(up.unitId);
    if (u === undefined) {
      u = { windows: new Map(), maxKeyVersion: 0 };
      this.units.set(up.unitId, u);
    }
    const kv = o.value.keyVersion;
    if (kv < u.maxKeyVersion)
      return reject(
        CentreReject.keyDowngrade,
        "key version " + kv + " < " + u.maxKeyVersion,
        up.unitId,
      );
    let w = u.windows.get(kv);
    if (w === undefined) {
      w = new WindowReceiverCounter(this.gap);
      u.windows.set(kv, w);
    }
    const c = w.check(up.counter);
    if (!c.ok) return reject(c.code, c.message, up.unitId);
    if (kv > u.maxKeyVersion) {
      // Rotated: the older versions' windows are of no further use.
      u.maxKeyVersion = kv;
      for (const v of Array.from(u.windows.keys())) if (v < kv) u.windows.delete(v);
    }
    return o;
  }
}

function reject(code: UplinkRejectCode, message: string, unitId: number): UplinkVerdict {
  return { ok: false, code: code, message: message, unitId: unitId };
}
