// The conformance kit's cases: every golden vector as a request to a receiver and the verdict
// SPEC.md requires, grouped in sessions (a session is one receiver; its frames arrive in order).

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FrameKind, VectorReceiver } from "../vectors/receiver";

const VECTORS = join(dirname(fileURLToPath(import.meta.url)), "..", "vectors");

/** One line to the adapter (the kit's adapter protocol, README). */
export interface KitRequest {
  id: string;
  /** One receiver per session: a new session id means a fresh receiver with nothing accepted. */
  session: string;
  kind: FrameKind;
  hex?: string;
  text?: string;
  /** The MQTT topic's unit id an uplink arrived on; absent: by SMS, or not an uplink. */
  topicUnitId?: number;
  receiver: VectorReceiver;
  /** The fleet root secret (hex) the receiver's keys derive from (SPEC §2). */
  root: string;
}

export interface KitCase {
  request: KitRequest;
  /** The SPEC section whose rule the case checks. */
  clause: string;
  name: string;
  /** "ok" or the SPEC §14 code. */
  expect: string;
}

// biome-ignore lint/suspicious/noExplicitAny: vector files are JSON
function load(file: string): any {
  return JSON.parse(readFileSync(join(VECTORS, file), "utf8"));
}

const VALID: [string, FrameKind, string][] = [
  ["beacon.json", "beacon", "§4"],
  ["tag-command.json", "tagCommand", "§5"],
  ["uplink.json", "uplink", "§7"],
  ["downlink.json", "downlink", "§8"],
  ["sms.json", "sms", "§12"],
];

export function kitCases(): KitCase[] {
  const out: KitCase[] = [];
  let n = 0;
  const single = (
    clause: string,
    name: string,
    kind: FrameKind,
    receiver: VectorReceiver,
    root: string,
    input: { hex?: string; text?: string },
    expect: string,
  ) => {
    const id = String(++n);
    out.push({
      clause,
      name,
      expect,
      request: { id, session: "s" + id, kind, ...input, receiver, root },
    });
  };
  for (const [file, kind, clause] of VALID) {
    const f = load(file);
    for (const v of f.vectors) {
      const receiver: VectorReceiver = v.receiver ?? f.receiver;
      const at = v.companyId === undefined ? receiver : { ...receiver, companyId: v.companyId };
      single(
        clause,
        v.name,
        kind,
        at,
        f.root,
        { hex: v.text ? undefined : v.hex, text: v.text },
        "ok",
      );
    }
  }
  const invalid = load("invalid.json");
  for (const v of invalid.vectors)
    single(
      v.clause,
      v.name,
      v.kind,
      v.receiver,
      invalid.root,
      { hex: v.hex, text: v.text },
      v.error,
    );
  const seq = load("sequences.json");
  for (const q of seq.vectors) {
    const session = "q" + ++n;
    for (const f of q.frames) {
      const id = String(++n);
      out.push({
        clause: q.clause,
        name: q.name + ": " + f.note,
        expect: f.expect,
        request: {
          id,
          session,
          kind: "uplink",
          hex: f.hex,
          topicUnitId: f.topicUnitId,
          receiver: q.receiver,
          root: seq.root,
        },
      });
    }
  }
  return out;
}
