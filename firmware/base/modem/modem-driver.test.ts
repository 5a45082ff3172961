import { describe, expect, it } from "vitest";
import {
  bringUp,
  harness,
  healthyModem,
  OK_REPLY as OK,
  RESET_MS,
  scriptAttach,
  scriptNetwork,
  scriptSync,
  testTimings,
} from "./testing/modem-harness";
import { bytesOf, latin1 } from "./testing/scripted-uart";

const HOST = "mqtt.example.org";
const OPEN = 'AT+CIPSTART="TCP","' + HOST + '",8883\r';

function openLink(h: ReturnType<typeof harness>): boolean[] {
  const got: boolean[] = [];
  h.driver.link.open(HOST, 8883, (ok) => got.push(ok));
  return got;
}

describe("ModemDriver bring-up", () => {
  it("speaks the exact SIM800 transcript from power-on to ready", () => {
    const h = harness(1, testTimings());
    expect(bringUp(h)).toBe(true);
    expect(h.uart.errors).toEqual([]);
    expect(h.uart.remaining()).toEqual([]);
    expect(h.rec.resets).toBe(1);
    expect(h.rec.states).toEqual([
      "booting",
      "syncing",
      "setup",
      "sim_check",
      "registering",
      "attaching",
      "context_up",
      "ready",
    ]);
    // The RTC never set by the network reads 2004: rejected, never reaches the unit's clock.
    expect(h.rec.times).toEqual([]);
    expect(h.driver.stats.timeRejected).toBe(1);
    // Boot wait (4 s) after the 100 ms reset, then 20 ms per exchange.
    expect(h.world.time).toBe(RESET_MS + 4000 + 20 * 20);
  });

  it("goes straight on when RDY arrives before bootMs, and waits for +CREG: 5", () => {
    const h = harness(2, testTimings());
    scriptSync(h.uart);
    h.uart.expect("AT+CREG?\r", "\r\n+CREG: 1,2\r\n" + OK);
    h.driver.start();
    h.uart.feedLater("\r\nRDY\r\n", RESET_MS + 1200);
    expect(h.world.runUntil(() => h.driver.state === "registering", 10000)).toBe(true);
    expect(h.world.time).toBeLessThan(RESET_MS + 2000);
    scriptAttach(h.uart, true);
    h.world.advance(3000);
    expect(h.driver.state).toBe("registering");
    h.uart.feed("\r\n+CREG: 5\r\n");
    expect(h.world.runUntil(() => h.driver.state === "ready", 10000)).toBe(true);
    expect(h.driver.registration).toBe(5);
    expect(h.uart.errors).toEqual([]);
  });

  it("retries AT probes, then resets the modem when it never answers", () => {
    const t = testTimings();
    const h = harness(3, t);
    h.driver.start();
    for (let i = 0; i < 10; i++) h.uart.expect("AT\r", "");
    h.world.advance(RESET_MS + 4000 + 10 * 700);
    expect(h.uart.remaining()).toEqual([]);
    expect(h.driver.state).toBe("reset_wait");
    expect(h.driver.stats.syncFailures).toBe(1);
    expect(h.driver.stats.modemResets).toBe(1);
    expect(h.driver.engine.stats.timeouts).toBe(10);
    // Rung 3, first time: 30 s + 0 jitter (random() = 0 on the first draw).
    scriptSync(h.uart);
    scriptNetwork(h.uart, true);
    const at = h.world.time;
    expect(h.world.runUntil(() => h.driver.state === "booting", 40000)).toBe(true);
    expect(h.world.time - at).toBeLessThanOrEqual(30000);
    expect(h.world.runUntil(() => h.driver.state === "ready", 60000)).toBe(true);
    expect(h.rec.resets).toBe(2);
    expect(h.uart.errors).toEqual([]);
  });

  it("retries a setting that answers ERROR, and tolerates garbage and dropped lines", () => {
    const h = harness(4, testTimings());
    h.uart.expect("AT\r", "\xff\x00\r\nOK\r\n");
    h.uart.expect("ATE0\r", "\r\nERROR\r\n");
    h.uart.expect("ATE0\r", "\r\nOK\r\n");
    h.uart.expect("AT+CMEE=1\r", "\r\nSMS Ready\r\n\x01garb\x02age\r\n" + OK);
    const rest = ["ATS0=0", "AT+CLIP=1", "AT+CMGF=1", "AT+CNMI=2,1,0,0,0", "AT+CREG=1"];
    for (let i = 0; i < rest.length; i++) h.uart.expect(rest[i] + "\r", OK);
    // The reply to AT+CLTS=1 is lost: timeout (2 s), pause, re-send.
    h.uart.expect("AT+CLTS=1\r", "");
    h.uart.expect("AT+CLTS=1\r", OK);
    h.uart.expect("AT+CIPMUX=0\r", OK);
    h.uart.expect("AT+CIPRXGET=1\r", OK);
    h.uart.expect("AT+CPIN?\r", "\r\n+CME ERROR: 10\r\n");
    h.uart.expect("AT+CPIN?\r", "\r\n+CPIN: READY\r\n" + OK);
    scriptNetwork(h.uart, true);
    h.driver.start();
    expect(h.world.runUntil(() => h.driver.state === "ready", 60000)).toBe(true);
    expect(h.uart.errors).toEqual([]);
    const s = h.driver.engine.stats;
    expect(s.retries).toBe(2);
    expect(s.timeouts).toBe(1);
    expect(s.discards).toBeGreaterThanOrEqual(2);
  });
});

describe("ModemDriver TCP link", () => {
  it("opens, sends exact bytes, and reads raw blocks until nothing is left", () => {
    const h = harness(5, testTimings());
    expect(bringUp(h)).toBe(true);
    h.uart.expect(OPEN, OK + "\r\nCONNECT OK\r\n");
    const opened = openLink(h);
    h.world.advance(100);
    expect(opened).toEqual([true]);
    expect(h.driver.link.isOpen()).toBe(true);

    const sent: boolean[] = [];
    h.uart.expect("AT+CIPSEND=12\r", "\r\n> ");
    h.uart.expect("hello world!", "\r\nSEND OK\r\n");
    h.driver.link.write(bytesOf("hello world!"), (ok) => sent.push(ok));
    h.world.advance(100);
    expect(sent).toEqual([true]);

    const got: string[] = [];
    h.driver.link.onData((c) => got.push(latin1(c)));
    // Binary payload with CR/LF, '>' and "OK" inside: raw, never taken for lines.
    h.uart.expect("AT+CIPRXGET=2,512\r", "\r\n+CIPRXGET: 2,6,3\r\nOK\r\n> " + OK);
    h.uart.expect("AT+CIPRXGET=2,512\r", "\r\n+CIPRXGET: 2,3,0\r\n\x00\xff\x1a" + OK);
    h.uart.feed("\r\n+CIPRXGET: 1\r\n");
    h.world.advance(200);
    expect(got).toEqual(["OK\r\n> ", "\x00\xff\x1a"]);
    expect(h.uart.errors).toEqual([]);
    expect(h.driver.socket.stats.bytesReceived).toBe(9);
  });

  it("reads again when data is announced while a read is on the wire", () => {
    const h = harness(5, testTimings());
    expect(bringUp(h)).toBe(true);
    h.uart.expect(OPEN, OK + "\r\nCONNECT OK\r\n");
    openLink(h);
    h.world.advance(100);
    const got: string[] = [];
    h.driver.link.onData((c) => got.push(latin1(c)));
    // The first read says nothing is left, but a new notice arrives before its OK: a second
    // read must follow, or those bytes would wait for a notice that never comes.
    h.uart.expect("AT+CIPRXGET=2,512\r", "\r\n+CIPRXGET: 2,2,0\r\nab\r\n+CIPRXGET: 1" + OK);
    h.uart.expect("AT+CIPRXGET=2,512\r", "\r\n+CIPRXGET: 2,2,0\r\ncd" + OK);
    h.uart.feed("\r\n+CIPRXGET: 1\r\n");
    h.world.advance(300);
    expect(got).toEqual(["ab", "cd"]);
    expect(h.uart.errors).toEqual([]);
  });
});

describe("ModemDriver recovery ladder", () => {
  it("climbs socket → context → reset with exponential backoff and jitter", () => {
    const h = harness(6, testTimings());
    expect(bringUp(h)).toBe(true);
    const starts: number[] = [];
    const shuts: number[] = [];
    // The broker is unreachable: every connect fails.
    healthyModem(h, (line) => {
      if (line.substring(0, 11) === "AT+CIPSTART") {
        starts.push(h.world.time);
        return OK + "\r\nCONNECT FAIL\r\n";
      }
      if (line === "AT+CIPSHUT") shuts.push(h.world.time);
      return null;
    });
    // The MQTT client's habit: reopen as soon as an open fails.
    let fails = 0;
    const reopen = (ok: boolean): void => {
      if (!ok) fails++;
      if (fails < 9) h.driver.link.open(HOST, 8883, reopen);
    };
    h.driver.link.open(HOST, 8883, reopen);
    expect(h.world.runUntil(() => h.driver.stats.modemResets === 1, 600000)).toBe(true);
    expect(h.driver.state).toBe("reset_wait");
    expect(h.uart.errors).toEqual([]);
    const gaps: number[] = [];
    for (let i = 1; i < starts.length; i++) gaps.push(starts[i] - starts[i - 1]);
    // random() draws 0, 0.5, 0, 0.5 …; every command answers after 20 ms (CONNECT FAIL with the OK).
    // gap after socket failure k (k = 1, 2): base 2 s × 2^(k−1) + 25 % jitter × random;
    // after the third: the context rung (10 s, then 20 s × 1.125) + attach and context (5 × 20 ms).
    expect(gaps).toEqual([
      2000 + 20,
      4500 + 20,
      10000 + 100 + 20,
      2250 + 20,
      4000 + 20,
      22500 + 100 + 20,
      2000 + 20,
      4500 + 20,
    ]);
    expect(shuts.length).toBe(2);
    expect(h.driver.stats.socketFailures).toBe(9);
    expect(h.driver.stats.contextRecoveries).toBe(2);
    // Rung 3 after 30 s (ninth draw: 0): power-cycle and full bring-up, then ready again.
    const at = h.world.time;
    expect(h.world.runUntil(() => h.driver.state === "booting", 100000)).toBe(true);
    expect(h.world.time - at).toBe(30000);
    expect(h.world.runUntil(() => h.driver.state === "ready", 60000)).toBe(true);
    expect(h.rec.resets).toBe(2);
  });

  it("clears the ladder once bytes come back", () => {
    const h = harness(7, testTimings());
    expect(bringUp(h)).toBe(true);
    let connect = "\r\nCONNECT FAIL\r\n";
    healthyModem(h, (line) => (line.substring(0, 11) === "AT+CIPSTART" ? OK + connect : null));
    const results: boolean[] = [];
    h.driver.link.open(HOST, 8883, (ok) => results.push(ok));
    h.world.advance(100);
    connect = "\r\nCONNECT OK\r\n";
    h.driver.link.open(HOST, 8883, (ok) => results.push(ok));
    h.world.advance(3000);
    expect(results).toEqual([false, true]);
    h.uart.responder = null;
    h.uart.expect("AT+CIPRXGET=2,512\r", "\r\n+CIPRXGET: 2,2,0\r\n\x20\x02" + OK);
    h.uart.feed("\r\n+CIPRXGET: 1\r\n");
    h.world.advance(100);
    // The far end closes: one socket failure, the shortest backoff again (ladder was cleared).
    let closed = 0;
    h.driver.link.onClose(() => closed++);
    h.uart.feed("\r\nCLOSED\r\n");
    expect(closed).toBe(1);
    expect(h.driver.link.isOpen()).toBe(false);
    expect(h.driver.stats.socketFailures).toBe(2);
    h.uart.expect('AT+CIPSTART="TCP","' + HOST + '",8883\r', OK + "\r\nCONNECT OK\r\n");
    const t0 = h.world.time;
    h.driver.link.open(HOST, 8883, (ok) => results.push(ok));
    expect(h.world.runUntil(() => results.length === 3, 10000)).toBe(true);
    // Draw #2 is 0.5: 2000 × 1.125, + 20 ms for OK and CONNECT OK.
    expect(h.world.time - t0).toBe(2250 + 20);
    expect(h.uart.errors).toEqual([]);
  });

  it("fails a send on SEND FAIL: writes false, onClose, socket failure", () => {
    const h = harness(8, testTimings());
    expect(bringUp(h)).toBe(true);
    h.uart.expect(OPEN, OK + "\r\nCONNECT OK\r\n");
    openLink(h);
    h.world.advance(100);
    const sent: boolean[] = [];
    let closed = 0;
    h.driver.link.onClose(() => closed++);
    h.uart.expect("AT+CIPSEND=3\r", "\r\n> ");
    h.uart.expect("abc", "\r\nSEND FAIL\r\n");
    h.uart.expect("AT+CIPCLOSE=1\r", "\r\nCLOSE OK\r\n");
    h.driver.link.write(bytesOf("abc"), (ok) => sent.push(ok));
    h.driver.link.write(bytesOf("def"), (ok) => sent.push(ok));
    h.world.advance(200);
    expect(sent).toEqual([false, false]);
    expect(closed).toBe(1);
    expect(h.driver.socket.stats.sendFails).toBe(1);
    expect(h.uart.errors).toEqual([]);
    expect(h.uart.remaining()).toEqual([]);
  });

  it("splits a long write into maxSend chunks", () => {
    const h = harness(9, testTimings());
    expect(bringUp(h)).toBe(true);
    h.uart.expect(OPEN, OK + "\r\nCONNECT OK\r\n");
    openLink(h);
    h.world.advance(100);
    const big = new Uint8Array(1500);
    for (let i = 0; i < big.length; i++) big[i] = i & 255;
    const text = latin1(big);
    h.uart.expect("AT+CIPSEND=1024\r", "\r\n> ");
    h.uart.expect(text.substring(0, 1024), "\r\nSEND OK\r\n");
    h.uart.expect("AT+CIPSEND=476\r", "\r\n> ");
    h.uart.expect(text.substring(1024), "\r\nSEND OK\r\n");
    const sent: boolean[] = [];
    h.driver.link.write(big, (ok) => sent.push(ok));
    h.world.advance(200);
    expect(sent).toEqual([true]);
    expect(h.uart.errors).toEqual([]);
  });
});

describe("ModemDriver network events", () => {
  it("handles an unexpected RDY mid-session: link closed, full bring-up again", () => {
    const h = harness(10, testTimings());
    expect(bringUp(h)).toBe(true);
    h.uart.expect(OPEN, OK + "\r\nCONNECT OK\r\n");
    openLink(h);
    h.world.advance(100);
    let closed = 0;
    h.driver.link.onClose(() => closed++);
    const sent: boolean[] = [];
    // The modem reboots while a send waits for its prompt.
    h.uart.expect("AT+CIPSEND=2\r", "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n");
    h.driver.link.write(bytesOf("hi"), (ok) => sent.push(ok));
    scriptSync(h.uart);
    scriptNetwork(h.uart, true);
    h.world.advance(30);
    expect(h.driver.state).toBe("syncing");
    expect(h.world.runUntil(() => h.driver.state === "ready", 60000)).toBe(true);
    expect(sent).toEqual([false]);
    expect(closed).toBe(1);
    expect(h.driver.stats.unexpectedReboots).toBe(1);
    expect(h.rec.resets).toBe(1);
    expect(h.uart.errors).toEqual([]);
    expect(h.uart.remaining()).toEqual([]);
  });

  it("goes back to registering on +CREG: 2 and comes back on +CREG: 1", () => {
    const h = harness(11, testTimings());
    expect(bringUp(h)).toBe(true);
    h.uart.expect(OPEN, OK + "\r\nCONNECT OK\r\n");
    openLink(h);
    h.world.advance(100);
    let closed = 0;
    h.driver.link.onClose(() => closed++);
    h.uart.expect("AT+CREG?\r", "\r\n+CREG: 1,2\r\n" + OK);
    h.uart.feed("\r\n+CREG: 2\r\n");
    expect(h.driver.state).toBe("registering");
    expect(closed).toBe(1);
    h.world.advance(100);
    scriptAttach(h.uart, false);
    h.uart.feed("\r\n+CREG: 1\r\n");
    expect(h.world.runUntil(() => h.driver.state === "ready", 10000)).toBe(true);
    expect(h.driver.stats.registrationLosses).toBe(1);
    expect(h.uart.errors).toEqual([]);
  });

  it("recovers the context after +PDP: DEACT (rung 2), and resets after a power-down URC", () => {
    const h = harness(12, testTimings());
    expect(bringUp(h)).toBe(true);
    h.uart.feed("\r\n+PDP: DEACT\r\n");
    expect(h.driver.state).toBe("context_wait");
    scriptAttach(h.uart, false);
    const at = h.world.time;
    expect(h.world.runUntil(() => h.driver.state === "ready", 20000)).toBe(true);
    expect(h.world.time - at).toBe(10000 + 5 * 20);
    expect(h.driver.stats.pdpDeacts).toBe(1);
    h.uart.feed("\r\nUNDER-VOLTAGE POWER DOWN\r\n");
    expect(h.driver.state).toBe("reset_wait");
    expect(h.driver.stats.powerDowns).toBe(1);
    scriptSync(h.uart);
    scriptNetwork(h.uart, true);
    expect(h.world.runUntil(() => h.driver.state === "ready", 100000)).toBe(true);
    expect(h.rec.resets).toBe(2);
    expect(h.uart.errors).toEqual([]);
  });

  it("takes URCs between the lines of a response and while waiting for the prompt", () => {
    const t = testTimings();
    t.signalPollMs = 60000;
    const h = harness(13, t);
    expect(bringUp(h)).toBe(true);
    h.uart.expect("AT+CSQ\r", "\r\n+CSQ: 20,0\r\n\r\n+CREG: 1\r\n" + OK);
    h.world.advance(65000 - h.world.time);
    expect(h.driver.csq).toBe(20);
    expect(h.driver.signalDbm()).toBe(-73);
    expect(h.driver.stats.signalPolls).toBe(1);
    expect(h.driver.state).toBe("ready");
    h.uart.expect(OPEN, OK + "\r\nCONNECT OK\r\n");
    openLink(h);
    h.world.advance(100);
    const sent: boolean[] = [];
    h.uart.expect("AT+CIPSEND=4\r", '\r\nRING\r\n\r\n+CLIP: "+15550000",145,"",0,"",0\r\n\r\n> ');
    // The hang-up goes first in the queue, but the send on the wire finishes before it.
    h.uart.expect("ping", "\r\nSEND OK\r\n");
    h.uart.expect("ATH\r", OK);
    h.driver.link.write(bytesOf("ping"), (ok) => sent.push(ok));
    h.world.advance(200);
    expect(sent).toEqual([true]);
    expect(h.driver.calls.stats.rejected).toBe(1);
    expect(h.uart.errors).toEqual([]);
  });

  it("reads the modem's clock again once a day, so network time does not go stale (issue 10, item 8)", () => {
    const t = testTimings();
    t.signalPollMs = 3600000;
    const h = harness(15, t);
    expect(bringUp(h)).toBe(true);
    const before = h.rec.times.length;
    const clockReads: string[] = [];
    h.uart.responder = (line) => {
      if (line === "AT+CSQ") h.uart.feed("\r\n+CSQ: 20,0\r\n" + OK);
      else if (line === "AT+CCLK?") {
        clockReads.push(line);
        h.uart.feed('\r\n+CCLK: "26/11/24,10:00:00+08"\r\n' + OK);
      } else h.uart.feed(OK);
    };
    h.world.advance(3 * 24 * 3600000 + 60000);
    expect(clockReads).toHaveLength(3);
    expect(h.rec.times.length - before).toBe(3);
    expect(h.uart.errors).toEqual([]);
  });

  it("sets the clock from NITZ and rejects malformed or unset times", () => {
    const h = harness(14, testTimings());
    expect(bringUp(h)).toBe(true);
    h.uart.feed('\r\n*PSUTTZ: 2024,10,27,1,30,15,"+4",1\r\n\r\nDST: 1\r\n');
    h.uart.feed("\r\n+CTZV: +4\r\n");
    h.uart.feed('\r\n*PSUTTZ: 2024,13,27,1,30,15,"+4",1\r\n');
    h.uart.feed("\r\n+CTZV: +4,24/02/30,01:00:00\r\n");
    expect(h.rec.times).toEqual([Date.UTC(2024, 9, 27, 1, 30, 15)]);
    // bring-up's 2004 RTC + the two malformed lines
    expect(h.driver.stats.timeRejected).toBe(3);
  });
});

describe("ModemDriver over TLS", () => {
  it("asks for the modem's TLS before every open, and never opens in the clear when it is refused", () => {
    const h = harness(11, testTimings(), true);
    expect(bringUp(h)).toBe(true);
    // Exact bytes: CIPSSL, then the same CIPSTART as in the clear (the modem does the TLS).
    h.uart.expect("AT+CIPSSL=1\r", OK);
    h.uart.expect(OPEN, OK + "\r\nCONNECT OK\r\n");
    const first = openLink(h);
    h.world.advance(200);
    expect(first).toEqual([true]);
    expect(h.uart.errors).toEqual([]);
    h.driver.link.onClose(() => {});
    h.uart.feed("\r\nCLOSED\r\n");
    // A modem whose firmware has no TLS (or refuses it now): ERROR, and no CIPSTART at all.
    const lines: string[] = [];
    healthyModem(h, (line) => {
      lines.push(line);
      return line === "AT+CIPSSL=1" ? "\r\nERROR\r\n" : null;
    });
    const second = openLink(h);
    expect(h.world.runUntil(() => second.length === 1, 60000)).toBe(true);
    expect(second).toEqual([false]);
    expect(lines).toContain("AT+CIPSSL=1");
    expect(lines.filter((l) => l.startsWith("AT+CIPSTART"))).toEqual([]);
    expect(h.driver.stats.socketFailures).toBeGreaterThanOrEqual(2);
  });
});
