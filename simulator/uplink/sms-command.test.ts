// Commands by SMS (SPEC §12): the centre signs a downlink and sends it as one EM1: SMS through its
// gateway. The unit reads it (SIM800 +CMTI → AT+CMGR), accepts it only from a centre number,
// verifies it like an MQTT downlink (MAC, addressee, counter, expiry) and executes it at once,
// packet data or not; the command_ack waits in the flash queue and reaches the centre over MQTT
// when data returns. A stranger's SMS is dropped before verification, a forged one is reported
// (forged_frame_seen) and changes nothing, and a replayed one is silently ignored.

import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import { EventCode, FrameSource } from "@em-platform/protocol/core/events";
import { encodeSmsText } from "@em-platform/protocol/core/sms-text";
import { expect, it } from "vitest";
import { Outage } from "../modem/network";
import {
  forEachBroker,
  HOUR,
  isOnline,
  MINUTE,
  onlineHome,
  wentOffline,
  worldPerTest,
} from "./uplink-testkit";

const UNIT = 0x5e5e;
const TAG = 0x3f3f;
const UNIT_NUMBER = "+37120000007";
const STRANGER = "+37126999999";
const OUTAGE_MS = 10 * MINUTE;

forEachBroker("commands by SMS", (start) => {
  const ctx = worldPerTest(start, 50);

  it("runs a signed command without packet data; the ack follows over MQTT; a replay does nothing", async () => {
    const { w } = ctx;
    const h = await onlineHome(w, { unitId: UNIT, tagId: TAG, number: UNIT_NUMBER });
    const sms = h.uplink.modem.sms.stats;

    const outageFrom = w.nowMs() + 1000;
    w.network.scheduleOutage(h.modem.subscriber, Outage.packet, 1000, OUTAGE_MS);
    await wentOffline(w, h);
    const cmd = w.receiver.signCommand(UNIT, CommandCode.requestStatus, null);
    const text = encodeSmsText(cmd.envelope);
    expect(w.gateway.sendTo(UNIT_NUMBER, text, w.centreNumber)).toBe(true);
    await w.fastForward(() => sms.delivered === 1, MINUTE, "command SMS read");

    // Executed at once, while packet data is still down: a heartbeat and the ack wait in flash.
    expect(h.modem.subscriber.hasPacketData()).toBe(false);
    const queued = h.app.queue.peek(1000).map((q) => q.event);
    const acks = queued.filter((e) => e.code === EventCode.commandAck);
    expect(acks.map((e) => e.data)).toEqual([
      { 1: cmd.counter, 2: CommandCode.requestStatus, 3: AckResult.ok },
    ]);
    const hb = queued.find((e) => e.seq === acks[0].seq - 1);
    expect(hb?.code).toBe(EventCode.heartbeat);
    expect(w.receiver.acks(UNIT, cmd.counter)).toEqual([]);

    // The same SMS again (the SMSC or an attacker repeats it): same counter, nothing happens.
    const seqAfterFirst = h.app.queue.peekSeq();
    expect(w.gateway.sendTo(UNIT_NUMBER, text, w.centreNumber)).toBe(true);
    await w.fastForward(() => sms.delivered === 2, MINUTE, "replayed SMS read");
    expect(h.app.queue.peekSeq()).toBe(seqAfterFirst);

    // Data returns: the ack and its heartbeat reach the centre over MQTT, once.
    const dataBackAt = outageFrom + OUTAGE_MS;
    await w.fastForward(() => w.receiver.acks(UNIT, cmd.counter).length > 0, HOUR, "command_ack");
    await w.fastForward(() => isOnline(w, h), MINUTE, "online");
    await w.runFor(2 * MINUTE);
    const got = w.receiver.acks(UNIT, cmd.counter);
    expect(got).toHaveLength(1);
    const ack = got[0];
    expect(ack.data).toEqual({ 1: cmd.counter, 2: CommandCode.requestStatus, 3: AckResult.ok });
    expect(ack.path).toBe("mqtt");
    expect(ack.seq).toBe(acks[0].seq);
    // Stamped by the unit while offline, received after data returned.
    expect(ack.time * 1000).toBeLessThan(dataBackAt);
    expect(ack.atMs).toBeGreaterThanOrEqual(dataBackAt);
    expect(w.receiver.event(UNIT, ack.seq - 1)?.code).toBe(EventCode.heartbeat);
    expect(w.receiver.withCode(UNIT, EventCode.replayedFrameSeen)).toEqual([]);
    expect(w.receiver.withCode(UNIT, EventCode.forgedFrameSeen)).toEqual([]);
    expect(sms).toMatchObject({ received: 2, delivered: 2, unknownSender: 0, badText: 0 });
    expect(h.modem.snapshot().storedSms).toBe(0);
    expect(w.receiver.missingSeqs(UNIT, 0)).toEqual([]);
  });

  it("drops a stranger's SMS and reports a forged one; neither uses up the command", async () => {
    const { w } = ctx;
    const h = await onlineHome(w, { unitId: UNIT, tagId: TAG, number: UNIT_NUMBER });
    const sms = h.uplink.modem.sms.stats;
    const cmd = w.receiver.signCommand(UNIT, CommandCode.requestStatus, null);
    const text = encodeSmsText(cmd.envelope);
    const seq0 = h.app.queue.peekSeq();

    // A genuine envelope from a number that is not the centre's: dropped unread by the app.
    expect(w.gateway.sendTo(UNIT_NUMBER, text, STRANGER)).toBe(true);
    await w.fastForward(() => sms.received === 1, MINUTE, "stranger's SMS read");
    expect(sms).toMatchObject({ received: 1, unknownSender: 1, delivered: 0 });
    expect(h.app.queue.peekSeq()).toBe(seq0);

    // From the centre's number, one MAC byte flipped: reported, not executed.
    const forged = Uint8Array.from(cmd.envelope);
    forged[forged.length - 1] ^= 0x01;
    expect(w.gateway.sendTo(UNIT_NUMBER, encodeSmsText(forged), w.centreNumber)).toBe(true);
    await w.fastForward(() => sms.delivered === 1, MINUTE, "forged SMS read");
    expect(h.app.queue.peekSeq()).toBe(seq0 + 1);
    await w.fastForward(
      () => w.receiver.withCode(UNIT, EventCode.forgedFrameSeen).length > 0,
      MINUTE,
      "forged_frame_seen",
    );
    const report = w.receiver.withCode(UNIT, EventCode.forgedFrameSeen);
    expect(report).toHaveLength(1);
    expect(report[0].seq).toBe(seq0);
    expect(report[0].path).toBe("mqtt");
    // SPEC §9: the report names the path the forgery came by.
    expect(report[0].data).toEqual({ 1: 1, 2: FrameSource.sms });
    expect(w.receiver.withCode(UNIT, EventCode.commandAck)).toEqual([]);

    // The genuine SMS from the centre still works: neither attempt moved the downlink counter.
    expect(w.gateway.sendTo(UNIT_NUMBER, text, w.centreNumber)).toBe(true);
    await w.fastForward(() => w.receiver.acks(UNIT, cmd.counter).length > 0, MINUTE, "ack");
    const ack = w.receiver.acks(UNIT, cmd.counter)[0];
    expect(ack.data).toEqual({ 1: cmd.counter, 2: CommandCode.requestStatus, 3: AckResult.ok });
    expect(ack.seq).toBe(seq0 + 2);
    expect(w.receiver.event(UNIT, seq0 + 1)?.code).toBe(EventCode.heartbeat);
    expect(sms).toMatchObject({ received: 3, unknownSender: 1, badText: 0, delivered: 2 });
    expect(w.receiver.rejected).toEqual({});
  });
});
