// Packet data down, coverage up: a strap cut cannot go over MQTT, so after smsAfterMs offline the
// unit sends the alarm as one EM1: SMS to the centre's number; the SMS gateway publishes it on
// em/v1/sms/in and the receiver decodes and verifies it like any envelope. When data returns the
// same alarm (same seq) also arrives over MQTT — the centre processes it once.
//
// Deep into an outage the modem driver's ladder has climbed to rung 3 (waiting up to 30 min to
// reset the modem); the network still has the unit registered, so the SMS must go at once.

import { EventCode } from "@em-platform/protocol/core/events";
import { expect, it } from "vitest";
import { DEFAULT_SMS_AFTER_MS } from "../../firmware/base/uplink/home-uplink";
import { Outage } from "../modem/network";
import {
  drained,
  forEachBroker,
  HOUR,
  isOnline,
  MINUTE,
  onlineHome,
  wentOffline,
  worldPerTest,
} from "./uplink-testkit";

const UNIT = 0xd0d0;
const TAG = 0x1d1d;
const OUTAGE_MS = 20 * MINUTE;

forEachBroker("alarm by SMS while packet data is down", (start) => {
  const ctx = worldPerTest(start, 50);

  it("arrives by SMS, then once more over MQTT, and is processed once", async () => {
    const { w } = ctx;
    const h = await onlineHome(w, { unitId: UNIT, tagId: TAG, number: "+37120000004" });

    w.network.scheduleOutage(h.modem.subscriber, Outage.packet, 1000, OUTAGE_MS);
    const outageAt = await wentOffline(w, h);
    await w.runFor(MINUTE);
    const cutAt = w.nowMs();
    h.cutStrap();
    await w.until(
      () => w.receiver.withCode(UNIT, EventCode.strapTamper).length > 0,
      20_000,
      "strap_tamper by SMS",
    );
    const alarm = w.receiver.withCode(UNIT, EventCode.strapTamper)[0];
    expect(alarm.path).toBe("sms");
    expect(alarm.tagId).toBe(TAG);
    // Not before the broker had been out of reach for smsAfterMs, and while data was still down.
    expect(alarm.atMs - outageAt).toBeGreaterThanOrEqual(DEFAULT_SMS_AFTER_MS);
    expect(alarm.atMs).toBeLessThan(outageAt + OUTAGE_MS);
    expect(alarm.atMs).toBeGreaterThan(cutAt);
    expect(w.gateway.received.map((m) => m.from)).toEqual(["+37120000004"]);
    expect(w.gateway.received[0].text.startsWith("EM1:")).toBe(true);
    expect(h.uplink.stats.smsSent).toBe(1);

    // Data returns: the alarm is still in the flash queue and now goes over MQTT too.
    await w.fastForward(() => drained(h) && isOnline(w, h), HOUR, "backlog drained", 30_000);
    const total = h.app.queue.peekSeq();
    await w.until(() => w.receiver.events(UNIT).length >= total, 10_000, "all events");
    const tampers = w.receiver.withCode(UNIT, EventCode.strapTamper);
    expect(tampers).toHaveLength(1);
    expect(tampers[0].path).toBe("sms");
    const t = w.receiver.tally(UNIT);
    expect(t.envelopes.sms).toBe(1);
    expect(t.duplicateEvents).toBe(1);
    expect(t.replays).toBe(0);
    expect(w.receiver.missingSeqs(UNIT, 0)).toEqual([]);
    expect(w.receiver.rejected).toEqual({});
    expect(w.receiver.badSms).toBe(0);
    expect(h.uplink.stats.smsSent).toBe(1);
    expect(w.gateway.received).toHaveLength(1);
  });

  it("goes by SMS within 30 s of a cut two hours into the outage", async () => {
    const { w } = ctx;
    const h = await onlineHome(w, { unitId: UNIT, tagId: TAG, number: "+37120000004" });
    w.network.scheduleOutage(h.modem.subscriber, Outage.packet, 1000, 6 * HOUR);
    await w.runFor(2 * HOUR);
    const cutAt = w.nowMs();
    h.cutStrap();
    await w.fastForward(
      () => w.receiver.withCode(UNIT, EventCode.strapTamper).length > 0,
      HOUR,
      "strap_tamper by SMS",
      30_000,
      200,
    );
    const alarm = w.receiver.withCode(UNIT, EventCode.strapTamper)[0];
    expect(alarm.path).toBe("sms");
    expect(alarm.atMs - cutAt).toBeLessThan(30_000);
  });
});
