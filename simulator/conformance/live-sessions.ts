// The live conformance kit's scripted sessions: what virtual units publish to a backend's broker
// (by MQTT on their topics, or as SMS through the gateway topic) and which alerts a centre that
// follows SPEC.md raises from it — nothing else. Pure: the envelopes are built from the fleet
// root, the units' ids and the time given, so a test can look at every byte.
//
// Every event is a strap_tamper (SPEC §9, class A: one alert per event a centre processes) at its
// own time, so an alert in the backend's export names exactly one event: a missing one is an event
// lost, an extra one an event processed twice or a frame that should have been refused.

import { EventCode } from "@em-platform/protocol/core/events";
import { KeyPurpose } from "@em-platform/protocol/core/keys";
import { encodeSmsText } from "@em-platform/protocol/core/sms-text";
import { SMS_IN_TOPIC, unitIdText, uplinkTopic } from "@em-platform/protocol/core/topics";
import type { Uplink } from "@em-platform/protocol/core/uplink";
import { sealUplinkHost } from "@em-platform/protocol/host/envelope";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import type { Alert } from "../scenario/alerts";

/** One MQTT publish, in the order the kit sends them. */
export interface Publish {
  topic: string;
  payload: Uint8Array | string;
  /** What it is, for the report. */
  what: string;
}

export interface LiveSession {
  name: string;
  /** The SPEC sections whose rules it checks. */
  clause: string;
  rule: string;
  /** The units (8 hex digits) whose alerts belong to this session. */
  subjects: string[];
  steps: Publish[];
  /** start = the event's time; type strap_tamper; end null. */
  expected: Alert[];
}

/** The tag every event names (any valid id; the centre does not pair). */
const TAG = 0x00c0ffee;

export interface SessionContext {
  root: Uint8Array;
  /** The first unit id; sessions use consecutive ids from it (a fresh range per run, so a
   * backend that keeps its counters across runs sees new units). */
  unitBase: number;
  /** The centre's clock now, UTC s: envelopes are sent at it unless a session moves a unit's. */
  now: number;
}

/** An uplink of one strap_tamper per seq, sent at `at`, each event at at + seq. */
export function tampers(unitId: number, counter: number, seqs: number[], at: number): Uplink {
  return {
    unitId,
    counter,
    sentAt: at,
    events: seqs.map((seq) => ({
      seq,
      time: at + seq,
      code: EventCode.strapTamper,
      tagId: TAG,
      data: null,
    })),
  };
}

/** Sealed with the uplink key of `keyUnit` (the uplink's own unit unless a session forges). */
export function seal(ring: FleetKeyring, kv: number, up: Uplink, keyUnit = up.unitId): Uint8Array {
  return sealUplinkHost(ring.key(KeyPurpose.unitUplink, keyUnit, kv) as Uint8Array, kv, up);
}

function strapAlert(subject: string, start: number): Alert {
  return { subject, type: "strap_tamper", start, end: null };
}

/** Sent after every session: a genuine alarm of a unit of its own. Once the backend has raised
 * its alert, it has processed everything the kit sent before it (one connection, one order). */
export function sentinel(c: SessionContext): { publish: Publish; alert: Alert } {
  const unitId = c.unitBase + 0xffff;
  const up = tampers(unitId, 1, [1], c.now);
  return {
    publish: {
      topic: uplinkTopic(unitId),
      payload: seal(FleetKeyring.fromRoot(c.root, [1]), 1, up),
      what: "the sentinel",
    },
    alert: strapAlert(unitIdText(unitId), c.now + 1),
  };
}

/** The kit's sessions, in the order they run. */
export function liveSessions(c: SessionContext): LiveSession[] {
  const keys = FleetKeyring.fromRoot(c.root, [1, 2]);
  const other = FleetKeyring.fromRoot(
    c.root.map((b) => b ^ 0xff),
    [1],
  );
  let next = c.unitBase;
  const unit = () => {
    const id = next++;
    return { id, text: unitIdText(id) };
  };
  /** A genuine envelope of `unitId` with one strap_tamper per seq, each at now + seq. */
  const env = (unitId: number, counter: number, seqs: number[], o?: { kv?: number; at?: number }) =>
    seal(keys, o?.kv ?? 1, tampers(unitId, counter, seqs, o?.at ?? c.now));
  const mqtt = (unitId: number, payload: Uint8Array, what: string): Publish => ({
    topic: uplinkTopic(unitId),
    payload,
    what,
  });
  const sms = (envelope: Uint8Array, what: string): Publish => ({
    topic: SMS_IN_TOPIC,
    payload: JSON.stringify({
      from: "+37120000000",
      text: encodeSmsText(envelope),
      at: new Date(c.now * 1000).toISOString(),
    }),
    what,
  });

  const s: LiveSession[] = [];

  const a = unit();
  const a1 = env(a.id, 1, [1]);
  const a2 = env(a.id, 2, [2]);
  s.push({
    name: "sms-and-mqtt",
    clause: "§3, §12",
    rule: "an envelope that arrives by SMS and by MQTT, in either order, is processed once",
    subjects: [a.text],
    steps: [
      sms(a1, "counter 1 by SMS"),
      mqtt(a.id, a2, "counter 2 by MQTT"),
      mqtt(a.id, a1, "counter 1 by MQTT, late"),
      sms(a2, "counter 2 by SMS, late"),
    ],
    expected: [strapAlert(a.text, c.now + 1), strapAlert(a.text, c.now + 2)],
  });

  const b = unit();
  const b1 = env(b.id, 1, [1]);
  s.push({
    name: "replay",
    clause: "§3",
    rule: "a replayed envelope, or an event already processed inside a fresh envelope, raises nothing new; a counter inside the window is taken once",
    subjects: [b.text],
    steps: [
      mqtt(b.id, b1, "counter 1"),
      mqtt(b.id, env(b.id, 3, [3]), "counter 3"),
      mqtt(b.id, env(b.id, 2, [2]), "counter 2, late but inside the window"),
      mqtt(b.id, b1, "counter 1 again"),
      mqtt(b.id, env(b.id, 4, [1, 3]), "counter 4 carrying seq 1 and 3 again"),
    ],
    expected: [1, 2, 3].map((q) => strapAlert(b.text, c.now + q)),
  });

  const f = unit();
  const flipped = env(f.id, 1, [1]);
  flipped[flipped.length - 40] ^= 0x01;
  const g = unit();
  s.push({
    name: "forgery",
    clause: "§7, §14",
    rule: "an envelope altered after signing, or signed with another unit's key, is refused and touches no state",
    subjects: [f.text, g.text],
    steps: [
      mqtt(f.id, flipped, "a payload bit flipped"),
      mqtt(
        g.id,
        seal(keys, 1, tampers(g.id, 1, [1], c.now), f.id),
        "unit B's payload under unit A's key",
      ),
      mqtt(f.id, env(f.id, 1, [2]), "then the genuine counter 1"),
    ],
    expected: [strapAlert(f.text, c.now + 2)],
  });

  const u = unit();
  s.push({
    name: "unknown-unit",
    clause: "§2",
    rule: "a unit whose key is not derived from this fleet's root raises nothing",
    subjects: [u.text],
    steps: [
      mqtt(
        u.id,
        seal(other, 1, tampers(u.id, 1, [1], c.now)),
        "an envelope under another fleet's root",
      ),
    ],
    expected: [],
  });

  const t = unit();
  const victim = unit();
  s.push({
    name: "topic-binding",
    clause: "§13",
    rule: "unit A's envelope on unit B's topic is refused (topic_mismatch) for both and changes no state: A's counter 1 is still fresh on A's own topic",
    subjects: [t.text, victim.text],
    steps: [
      mqtt(victim.id, env(t.id, 1, [1]), "A's counter 1 (seq 1) on B's topic"),
      mqtt(t.id, env(t.id, 1, [2]), "A's counter 1 (seq 2) on A's topic"),
    ],
    expected: [strapAlert(t.text, c.now + 2)],
  });

  const k = unit();
  s.push({
    name: "key-rotation",
    clause: "§3",
    rule: "a new key version starts its own counter window; the old version is refused after it (key_downgrade)",
    subjects: [k.text],
    steps: [
      mqtt(k.id, env(k.id, 5, [1]), "key version 1, counter 5"),
      mqtt(k.id, env(k.id, 1, [2], { kv: 2 }), "key version 2, counter 1"),
      mqtt(k.id, env(k.id, 6, [3]), "key version 1, counter 6, after version 2"),
    ],
    expected: [strapAlert(k.text, c.now + 1), strapAlert(k.text, c.now + 2)],
  });

  const j = unit();
  const back = c.now - 3600;
  const ahead = c.now + 86400;
  s.push({
    name: "clock-jumps",
    clause: "§3, §9",
    rule: "events are taken by counter and seq whatever the unit's clock says; each keeps the time the unit gave it",
    subjects: [j.text],
    steps: [
      mqtt(j.id, env(j.id, 1, [1]), "counter 1 at the centre's time"),
      mqtt(j.id, env(j.id, 2, [2], { at: back }), "counter 2, the unit's clock an hour back"),
      mqtt(j.id, env(j.id, 3, [3], { at: ahead }), "counter 3, the unit's clock a day ahead"),
    ],
    expected: [
      strapAlert(j.text, c.now + 1),
      strapAlert(j.text, back + 2),
      strapAlert(j.text, ahead + 3),
    ],
  });

  return s;
}
