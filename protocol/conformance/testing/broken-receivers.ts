// Deliberately broken receivers, one per class of clause, each the reference with one defect a
// real backend could have. The kit's own test runs them to show it catches each, naming the
// clause; a backend team can use them the same way to check a changed kit.

import { fromHex } from "../../src/core/bytes";
import { parseMac0 } from "../../src/core/cose";
import { decodeDownlinkPayload } from "../../src/core/downlink";
import { decodeUplinkPayload } from "../../src/core/uplink";
import { referenceJudge } from "../host-adapter";
import type { KitRequest } from "../kit-cases";
import type { Judge } from "../run-kit";

export interface BrokenReceiver {
  /** What is wrong with it. */
  defect: string;
  /** The clause the kit must name among its failures. */
  caughtBy: string;
  judge: () => Judge;
}

/** The reference, with its verdict on some requests replaced. */
function withDefect(change: (r: KitRequest, verdict: string) => string): () => Judge {
  return () => {
    const reference = referenceJudge();
    return (r) => change(r, reference(r));
  };
}

/** The payload of a request's envelope, read without checking its MAC. */
function payloadOf(r: KitRequest): Uint8Array | null {
  const b = fromHex(r.hex ?? "");
  const m = b === null ? null : parseMac0(b);
  return m !== null && m.ok ? m.value.payload : null;
}

function uplinkCounter(r: KitRequest): number {
  const p = payloadOf(r);
  const u = p === null ? null : decodeUplinkPayload(p);
  return u !== null && u.ok ? u.value.counter : -1;
}

function atExpiry(r: KitRequest): boolean {
  const p = payloadOf(r);
  const d = p === null ? null : decodeDownlinkPayload(p);
  return d !== null && d.ok && r.receiver.now === d.value.expiresAt;
}

export const BROKEN_RECEIVERS: BrokenReceiver[] = [
  {
    defect: "checks a beacon's MAC before its fields",
    caughtBy: "§14 order",
    judge: withDefect((r, v) =>
      r.kind === "beacon" && v === "field_out_of_range" ? "bad_mac" : v,
    ),
  },
  {
    defect: "accepts CBOR that is not deterministic",
    caughtBy: "§6",
    judge: withDefect((_r, v) => (v === "bad_cbor" ? "ok" : v)),
  },
  {
    defect: "keeps the strict counter rule for uplinks (no window)",
    caughtBy: "§3 uplink window",
    judge: () => {
      const reference = referenceJudge();
      const highest = new Map<string, number>();
      return (r) => {
        const v = reference(r);
        if (r.kind !== "uplink" || v !== "ok") return v;
        const c = uplinkCounter(r);
        const h = highest.get(r.session) ?? -1;
        if (c <= h) return "replay";
        highest.set(r.session, c);
        return v;
      };
    },
  },
  {
    defect: "accepts a unit's envelopes under an older key version after a newer one",
    caughtBy: "§3 key versions",
    judge: withDefect((_r, v) => (v === "key_downgrade" ? "ok" : v)),
  },
  {
    defect: "does not bind an envelope to its MQTT topic",
    caughtBy: "§13 topic binding",
    judge: withDefect((_r, v) => (v === "topic_mismatch" ? "ok" : v)),
  },
  {
    defect: "treats a downlink's expiry second as already expired",
    caughtBy: "§8",
    judge: withDefect((r, v) =>
      r.kind === "downlink" && v === "ok" && atExpiry(r) ? "expired" : v,
    ),
  },
  {
    defect: "decodes SMS text leniently (any base64, any trailing bits)",
    caughtBy: "§12",
    judge: withDefect((r, v) => (r.kind === "sms" && v === "bad_structure" ? "ok" : v)),
  },
];
