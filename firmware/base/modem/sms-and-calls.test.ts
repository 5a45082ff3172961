import { describe, expect, it } from "vitest";
import {
  bringUp,
  CENTRE,
  harness,
  OFFICER,
  OK_REPLY as OK,
  scriptSync,
  testTimings,
} from "./testing/modem-harness";

function ready(seed: number): ReturnType<typeof harness> {
  const h = harness(seed, testTimings());
  expect(bringUp(h)).toBe(true);
  return h;
}

function cmgr(sender: string, text: string): string {
  return (
    '\r\n+CMGR: "REC UNREAD","' + sender + '","","24/10/27,04:30:15+04"\r\n' + text + "\r\n" + OK
  );
}

describe("SMS", () => {
  it("sends an envelope as EM1 text, Ctrl-Z ended, after the prompt", () => {
    const h = ready(20);
    h.uart.expect('AT+CMGS="' + CENTRE + '"\r', "\r\n> ");
    h.uart.expect("EM1:AQID\x1a", "\r\n+CMGS: 17\r\n" + OK);
    const done: boolean[] = [];
    h.driver.sendSms(CENTRE, new Uint8Array([1, 2, 3]), (ok) => done.push(ok));
    h.world.advance(100);
    expect(done).toEqual([true]);
    expect(h.driver.sms.stats.sent).toBe(1);
    expect(h.uart.errors).toEqual([]);
  });

  it("reports a +CMS ERROR as not sent, and refuses before registration", () => {
    const h = ready(21);
    h.uart.expect('AT+CMGS="' + CENTRE + '"\r', "\r\n> ");
    h.uart.expect("EM1:AQID\x1a", "\r\n+CMS ERROR: 42\r\n");
    const done: boolean[] = [];
    h.driver.sendSms(CENTRE, new Uint8Array([1, 2, 3]), (ok) => done.push(ok));
    h.world.advance(100);
    expect(done).toEqual([false]);
    const h2 = harness(22, testTimings());
    h2.driver.sendSms(CENTRE, new Uint8Array([1]), (ok) => done.push(ok));
    h2.world.advance(1);
    expect(done).toEqual([false, false]);
    expect(h2.uart.written).toBe("");
  });

  it("delivers a message from the centre and deletes it", () => {
    const h = ready(23);
    h.uart.expect("AT+CMGR=3\r", cmgr(CENTRE, "EM1:AQID"));
    h.uart.expect("AT+CMGD=3\r", OK);
    h.uart.feed('\r\n+CMTI: "SM",3\r\n');
    h.world.advance(100);
    expect(h.rec.sms).toEqual([CENTRE + " 010203"]);
    expect(h.uart.errors).toEqual([]);
    expect(h.uart.remaining()).toEqual([]);
  });

  it("drops (and deletes) messages from unknown numbers and bad text; a body 'RING' is no call", () => {
    const h = ready(24);
    // Reads queue in arrival order; each delete queues behind them when its read ends.
    h.uart.expect("AT+CMGR=4\r", cmgr("+15550000", "RING"));
    h.uart.expect("AT+CMGR=5\r", cmgr(CENTRE, "EM1:A"));
    h.uart.expect("AT+CMGR=6\r", "\r\n+CMS ERROR: 321\r\n");
    h.uart.expect("AT+CMGR=6\r", "\r\n+CMS ERROR: 321\r\n");
    h.uart.expect("AT+CMGD=4\r", OK);
    h.uart.expect("AT+CMGD=5\r", OK);
    h.uart.expect("AT+CMGD=6\r", OK);
    h.uart.feed('\r\n+CMTI: "SM",4\r\n\r\n+CMTI: "SM",5\r\n\r\n+CMTI: "SM",6\r\n');
    h.world.advance(2000);
    expect(h.rec.sms).toEqual([]);
    const s = h.driver.sms.stats;
    expect([s.received, s.unknownSender, s.badText, s.readFailed]).toEqual([2, 1, 1, 1]);
    expect(h.driver.calls.stats.rings).toBe(0);
    expect(h.uart.errors).toEqual([]);
    expect(h.uart.remaining()).toEqual([]);
  });

  it("reads and deletes stored messages at bring-up", () => {
    const h = harness(25, testTimings());
    scriptSync(h.uart);
    h.uart.expect("AT+CREG?\r", "\r\n+CREG: 1,1\r\n" + OK);
    h.uart.expect("AT+CGATT=1\r", OK);
    h.uart.expect(
      'AT+CMGL="ALL"\r',
      '\r\n+CMGL: 1,"REC UNREAD","' +
        CENTRE +
        '","","24/10/27,04:30:15+04"\r\nEM1:AQID\r\n' +
        '\r\n+CMGL: 2,"REC READ","+15550000","","24/10/27,04:31:15+04"\r\nOK\r\n' +
        OK,
    );
    h.uart.expect("AT+CCLK?\r", '\r\n+CCLK: "24/10/27,04:30:15+04"\r\n' + OK);
    h.uart.expect("AT+CIPSHUT\r", "\r\nSHUT OK\r\n");
    h.uart.expect("AT+CMGD=1\r", OK);
    h.uart.expect("AT+CMGD=2\r", OK);
    h.uart.expect('AT+CSTT="em.example","",""\r', OK);
    h.uart.expect("AT+CIICR\r", OK);
    h.uart.expect("AT+CIFSR\r", "\r\n10.64.12.7\r\n");
    h.driver.start();
    expect(h.world.runUntil(() => h.driver.state === "ready", 60000)).toBe(true);
    expect(h.uart.errors).toEqual([]);
    expect(h.rec.sms).toEqual([CENTRE + " 010203"]);
    // A message whose text is "OK" is text, not the final result.
    expect(h.driver.sms.stats.unknownSender).toBe(1);
    // The RTC, local time at +1 h: 03:30:15 UTC.
    expect(h.rec.times).toEqual([Date.UTC(2024, 9, 27, 3, 30, 15)]);
  });
});

describe("calls", () => {
  const clip = (n: string): string => '\r\nRING\r\n\r\n+CLIP: "' + n + '",145,"",0,"",0\r\n';

  it("rings for the officer and answers only when the button is pressed", () => {
    const h = ready(30);
    h.uart.feed(clip(OFFICER));
    expect(h.rec.ringing).toEqual([true]);
    for (let i = 0; i < 5; i++) {
      h.world.advance(3000);
      h.uart.feed(clip(OFFICER));
    }
    // 15 s of ringing: never answered by itself, nothing written.
    expect(h.uart.errors).toEqual([]);
    expect(h.driver.calls.state).toBe("ringing");
    h.uart.expect("ATA\r", OK);
    expect(h.driver.answerPressed()).toBe(true);
    expect(h.rec.ringing).toEqual([true, false]);
    h.world.advance(100);
    expect(h.rec.inCall).toEqual([true]);
    h.uart.feed("\r\nNO CARRIER\r\n");
    expect(h.rec.inCall).toEqual([true, false]);
    expect(h.driver.calls.stats.answered).toBe(1);
    expect(h.uart.errors).toEqual([]);
  });

  it("rejects other and withheld numbers at once, without ringing", () => {
    const h = ready(31);
    h.uart.expect("ATH\r", OK);
    h.uart.feed(clip("+15550000"));
    h.world.advance(100);
    h.uart.expect("ATH\r", OK);
    h.uart.feed(clip(""));
    h.world.advance(100);
    // No +CLIP at all: rejected clipWaitMs after the first RING.
    h.uart.expect("ATH\r", OK);
    h.uart.feed("\r\nRING\r\n");
    h.world.advance(3900);
    expect(h.uart.remaining()).toEqual(["ATH\r"]);
    h.world.advance(200);
    expect(h.uart.remaining()).toEqual([]);
    expect(h.rec.ringing).toEqual([]);
    expect(h.driver.answerPressed()).toBe(false);
    expect(h.driver.calls.stats.rejected).toBe(3);
    expect(h.uart.errors).toEqual([]);
  });

  it("stops ringing when the officer hangs up or the rings stop; a late press answers nothing", () => {
    const h = ready(32);
    h.uart.feed(clip(OFFICER));
    h.uart.feed("\r\nNO CARRIER\r\n");
    expect(h.rec.ringing).toEqual([true, false]);
    h.uart.feed(clip(OFFICER));
    h.world.advance(8100);
    expect(h.rec.ringing).toEqual([true, false, true, false]);
    expect(h.driver.answerPressed()).toBe(false);
    expect(h.driver.calls.stats.missed).toBe(2);
    expect(h.uart.written.indexOf("ATA")).toBe(-1);
    expect(h.uart.errors).toEqual([]);
  });
});
