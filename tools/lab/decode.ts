// `lab decode`: any frame of SPEC.md — a tag beacon (the bytes after the company id), a tag
// command, the unit's freshness challenge, an uplink or downlink envelope, or an SMS text "EM1:…"
// — to its fields and a verdict. The kind is told by the first byte (0x11 beacon, 0x13 extended
// beacon, 0x12 tag command, 0x14 challenge, 0xD1 a COSE_Mac0, whose key id says uplink or
// downlink; another version of our frames is still read as its kind). A challenge carries no MAC:
// its verdict is its structure. With the fleet root the MAC is checked under the key version the frame names;
// without it the fields are shown and the MAC is not judged. A single frame has no counter
// history: the counter is shown, fresh-or-replay is the receiver's call (SPEC §3).

import { parseBeacon } from "@em-platform/protocol/core/beacon";
import { fromHex, toHex } from "@em-platform/protocol/core/bytes";
import { parseChallenge } from "@em-platform/protocol/core/challenge";
import { parseMac0 } from "@em-platform/protocol/core/cose";
import { checkExpiry } from "@em-platform/protocol/core/downlink";
import type { Result } from "@em-platform/protocol/core/errors";
import { KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { decodeSmsText, SMS_PREFIX } from "@em-platform/protocol/core/sms-text";
import { openTagCommand, parseTagCommand } from "@em-platform/protocol/core/tag-command";
import { openBeaconHost } from "@em-platform/protocol/host/beacon";
import { openDownlinkHost, openUplinkHost } from "@em-platform/protocol/host/envelope";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";

export type FrameKind = "beacon" | "tagCommand" | "challenge" | "uplink" | "downlink";

export interface DecodeContext {
  /** Fleet root; null: fields only, no MAC verdict. */
  root: Uint8Array | null;
  keyVersions: number[];
  /** BLE company id the beacon was heard under. */
  companyId: number;
  /** Receiving tag / unit (a frame for another one is wrong_device); null: the frame's own. */
  tagId: number | null;
  unitId: number | null;
  /** UTC seconds, for a downlink's expiry. */
  now: number;
  /** Read an envelope as this kind whatever its key id says (a receiver expecting an uplink
   * calls a downlink-key envelope wrong_device); null: by its key id. */
  envelopeAs?: "uplink" | "downlink" | null;
}

export interface Decoded {
  kind: FrameKind | "unknown";
  /** The frame's fields (as the protocol's types, JSON-ready), null when they could not be read. */
  fields: unknown;
  /** "ok", an error code of SPEC §14, or "not verified (no fleet root)". */
  verdict: string;
  detail: string;
}

export const UNVERIFIED = "not verified (no fleet root)";

function verdictOf<T>(r: Result<T>): { verdict: string; detail: string } {
  return r.ok ? { verdict: "ok", detail: "" } : { verdict: r.code, detail: r.message };
}

/** Bytes from hex (spaces allowed), base64 / base64url, or an SMS text (kept as text). */
export function frameFromText(text: string): Uint8Array | string | null {
  const t = text.trim();
  if (t.startsWith(SMS_PREFIX)) return t;
  const hex = t.replace(/\s+/g, "");
  if (/^([0-9a-fA-F]{2})+$/.test(hex)) return fromHex(hex.toLowerCase());
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return null;
  // Node decodes any letters as base64, dropping what does not fit: only text that the bytes
  // encode back to is base64 ("hello" is not: its last letter would be dropped).
  const bytes = Buffer.from(t, "base64");
  const canonical = (x: string) => x.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (canonical(bytes.toString("base64")) !== canonical(t)) return null;
  return new Uint8Array(bytes);
}

export function decodeFrame(input: Uint8Array | string, ctx: DecodeContext): Decoded {
  let bytes: Uint8Array;
  if (typeof input === "string") {
    const s = decodeSmsText(input);
    if (!s.ok)
      return { kind: "unknown", fields: null, verdict: s.code, detail: "SMS: " + s.message };
    bytes = s.value;
  } else bytes = input;
  const keyring = ctx.root === null ? null : FleetKeyring.fromRoot(ctx.root, ctx.keyVersions);
  // Our binary frames start with version (high nibble, 1 or 2) and type (low: 1 beacon, 2 tag
  // command, 3 extended beacon, 4 challenge); anything else is read as CBOR, where a COSE_Mac0
  // starts 0xD1.
  const first = bytes.length > 0 ? bytes[0] : 0;
  const binary = first >> 4 === 1 || first >> 4 === 2;
  if (binary && ((first & 15) === 1 || (first & 15) === 3)) {
    const p = parseBeacon(bytes);
    if (!p.ok) return { kind: "beacon", fields: null, ...verdictOf(p) };
    const fields = { ...p.value, mac: toHex(p.value.mac) };
    if (keyring === null) return { kind: "beacon", fields, verdict: UNVERIFIED, detail: "" };
    const r = openBeaconHost(
      ctx.companyId,
      bytes,
      (tag, kv) => keyring.key(KeyPurpose.tagBeacon, tag, kv),
      ctx.tagId ?? 0,
    );
    return { kind: "beacon", fields, ...verdictOf(r) };
  }
  if (binary && (first & 15) === 2) {
    const p = parseTagCommand(bytes);
    if (!p.ok) return { kind: "tagCommand", fields: null, ...verdictOf(p) };
    const fields = { ...p.value, mac: toHex(p.value.mac) };
    if (keyring === null) return { kind: "tagCommand", fields, verdict: UNVERIFIED, detail: "" };
    const self = ctx.tagId ?? p.value.tagId;
    const r = openTagCommand(sha256, bytes, self, (kv) =>
      keyring.key(KeyPurpose.tagCommand, self, kv),
    );
    return { kind: "tagCommand", fields, ...verdictOf(r) };
  }
  if (binary && (first & 15) === 4) {
    const p = parseChallenge(bytes);
    return { kind: "challenge", fields: p.ok ? p.value : null, ...verdictOf(p) };
  }
  const m = parseMac0(bytes);
  if (!m.ok) return { kind: "unknown", fields: null, ...verdictOf(m) };
  const kid = m.value.kid;
  const kind: FrameKind =
    ctx.envelopeAs ?? (kid.purpose === KeyPurpose.unitDownlink ? "downlink" : "uplink");
  const header = { keyId: kid, macHex: toHex(m.value.tag) };
  if (keyring === null)
    return {
      kind,
      fields: { ...header, payloadHex: toHex(m.value.payload) },
      verdict: UNVERIFIED,
      detail: "",
    };
  if (kind === "uplink") {
    const r = openUplinkHost(bytes, keyring.lookup);
    if (!r.ok) return { kind, fields: header, ...verdictOf(r) };
    return { kind, fields: { ...header, ...r.value.uplink }, verdict: "ok", detail: "" };
  }
  const r = openDownlinkHost(bytes, ctx.unitId ?? kid.deviceId, keyring.lookup);
  if (!r.ok) return { kind, fields: header, ...verdictOf(r) };
  const d = r.value.downlink;
  return { kind, fields: { ...header, ...d }, ...verdictOf(checkExpiry(d, ctx.now)) };
}

/** People's form: the kind and verdict, then one line per field. */
export function describeDecoded(d: Decoded): string[] {
  const lines = [`${d.kind}: ${d.verdict}${d.detail ? ` — ${d.detail}` : ""}`];
  if (d.fields !== null)
    for (const [k, v] of Object.entries(d.fields as Record<string, unknown>))
      lines.push(`  ${k}: ${typeof v === "object" ? JSON.stringify(v, bigintless) : String(v)}`);
  return lines;
}

function bigintless(_k: string, v: unknown): unknown {
  return v instanceof Uint8Array ? toHex(v) : v;
}
