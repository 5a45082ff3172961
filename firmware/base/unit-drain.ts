// The uplink drain and the SMS alarm choice: one envelope in flight, alarms first, events leave
// the queue only when the transport confirms the broker has them (SPEC §7, §12).
//
// Device code (DEVICE-JS subset).

import { EventClass, eventClass } from "@em-platform/protocol/core/events";
import { SMS_MAX_CHARS, SMS_PREFIX } from "@em-platform/protocol/core/sms-text";
import {
  encodeUplink,
  MAX_EVENTS_PER_UPLINK,
  type UplinkEvent,
} from "@em-platform/protocol/core/uplink";
import type { SmsAlarm } from "./base-app";
import { RecordName } from "./base-records";
import type { QueuedEvent } from "./queue/event-queue";
import { type UnitCore, unitUtc } from "./unit-core";
import { requeueRefused } from "./unit-events";

/** The most envelope bytes one SMS carries: (160 − "EM1:") base64url characters × 6 / 8. */
export const SMS_MAX_ENVELOPE = Math.floor(((SMS_MAX_CHARS - SMS_PREFIX.length) * 6) / 8);
/** Alarms remembered as sent by SMS (the oldest is forgotten first; forgetting costs one more SMS). */
const SMS_SENT_MEMORY = 64;

/** Once decommissioned and drained: the keys go, then the unit restarts unprovisioned. */
function wipeKeys(u: UnitCore): void {
  u.hal.storage.erase(RecordName.pairing);
  u.hal.storage.erase(RecordName.identity);
  u.hal.restart();
}

/** Sends the next envelope if none is in flight and the transport is ready. */
export function drain(this: UnitCore): void {
  if (this.inFlight !== null || !this.transport.ready()) return;
  const batch = this.queue.peek(MAX_EVENTS_PER_UPLINK);
  if (batch.length === 0) {
    if (this.decommissioned) wipeKeys(this);
    if (this.restartWhenDrained) this.hal.restart();
    return;
  }
  const fc = this.uplinkCounter.take();
  if (!fc.ok) return;
  const events: UplinkEvent[] = [];
  for (let i = 0; i < batch.length; i++) events.push(batch[i].event);
  const env = encodeUplink(this.hal.crypto.sha256, this.id.uplinkKey, this.id.keyVersion, {
    unitId: this.id.unitId,
    counter: fc.value,
    sentAt: unitUtc(this),
    events: events,
  });
  this.inFlight = batch;
  this.transport.send(env, (delivered: boolean) => {
    const sent: QueuedEvent[] | null = this.inFlight;
    this.inFlight = null;
    if (delivered && sent !== null) {
      this.queue.ack(sent);
      if (this.refused > 0) requeueRefused(this);
      this.drain();
    }
  });
}

/**
 * The oldest pending alarm not yet sent by SMS, as a one-event envelope that fits one SMS, or
 * null. The envelope built for it is kept until it is sent: a retry after a failed SMS resends it
 * rather than spend a new frame counter (and, every K, a flash write) each time.
 */
export function smsAlarm(this: UnitCore): SmsAlarm | null {
  const pending = this.queue.peek(MAX_EVENTS_PER_UPLINK);
  for (let i = 0; i < pending.length; i++) {
    const e = pending[i].event;
    if (eventClass(e.code) !== EventClass.alarm) return null; // alarms come first
    if (this.smsSentSeqs.indexOf(e.seq) >= 0) continue;
    if (this.smsBuilt !== null && this.smsBuilt.seq === e.seq) return this.smsBuilt;
    const fc = this.uplinkCounter.take();
    if (!fc.ok) return null;
    const env = encodeUplink(this.hal.crypto.sha256, this.id.uplinkKey, this.id.keyVersion, {
      unitId: this.id.unitId,
      counter: fc.value,
      sentAt: unitUtc(this),
      events: [e],
    });
    if (env.length <= SMS_MAX_ENVELOPE) {
      this.smsBuilt = { seq: e.seq, envelope: env };
      return this.smsBuilt;
    }
    this.smsSent(e.seq); // cannot fit: MQTT only
  }
  return null;
}

/** The SMS carrying this event left the modem: it is not offered again. */
export function smsSent(this: UnitCore, seq: number): void {
  if (this.smsBuilt !== null && this.smsBuilt.seq === seq) this.smsBuilt = null;
  const sent = this.smsSentSeqs;
  if (sent.indexOf(seq) >= 0) return;
  sent.push(seq);
  if (sent.length > SMS_SENT_MEMORY) sent.shift();
}
