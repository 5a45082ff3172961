// The register as CSV: in full for the lab, or pseudonymised for research — case references and
// device ids replaced by keyed pseudonyms (HMAC-SHA256 under a key that stays in the lab, so the
// same case or device always gets the same pseudonym and nobody without the key can reverse or
// recompute it), times cut to the day.

import { createHmac } from "node:crypto";
import type { DeviceRecord } from "./register";

const HEADER = [
  "kind",
  "id",
  "firmware",
  "key_version",
  "state",
  "case",
  "issued_at",
  "issue_condition",
  "returned_at",
  "return_condition",
  "paired_with",
];

export function registerCsv(devices: DeviceRecord[]): string {
  return csv(
    devices.map((d) => [
      d.kind,
      hex(d.id),
      d.firmware,
      String(d.keyVersion),
      d.state,
      d.caseRef ?? "",
      d.issuedAt ?? "",
      d.issueCondition ?? "",
      d.returnedAt ?? "",
      d.returnCondition ?? "",
      d.pairedWith === null ? "" : hex(d.pairedWith),
    ]),
  );
}

/** `key`: the lab's pseudonym key, at least 32 bytes. */
export function pseudonymisedCsv(devices: DeviceRecord[], key: Uint8Array): string {
  if (key.length < 32) throw new Error("the pseudonym key must be at least 32 bytes");
  const p = (what: string, v: string) =>
    createHmac("sha256", key)
      .update(what + ":" + v)
      .digest("hex")
      .slice(0, 16);
  const otherKind = (k: string) => (k === "tag" ? "unit" : "tag");
  return csv(
    devices.map((d) => [
      d.kind,
      p(d.kind, hex(d.id)),
      d.firmware,
      String(d.keyVersion),
      d.state,
      d.caseRef === null ? "" : p("case", d.caseRef),
      day(d.issuedAt),
      d.issueCondition ?? "",
      day(d.returnedAt),
      d.returnCondition ?? "",
      d.pairedWith === null ? "" : p(otherKind(d.kind), hex(d.pairedWith)),
    ]),
  );
}

function hex(id: number): string {
  return "0x" + id.toString(16).padStart(8, "0");
}

function day(iso: string | null): string {
  return iso === null ? "" : iso.slice(0, 10);
}

/** RFC 4180, and no cell a spreadsheet would run as a formula. */
function csv(rows: string[][]): string {
  return [HEADER, ...rows].map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

function cell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? "'" + v : v;
  return /[",\r\n]/.test(safe) ? '"' + safe.replace(/"/g, '""') + '"' : safe;
}
