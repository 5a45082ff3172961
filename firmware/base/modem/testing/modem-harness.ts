// A ModemDriver on a ScriptedUart under virtual time, with every callback recorded, and the
// SIM800 bring-up transcript the driver must speak. Shared by the driver, SMS and call tests.

import { toHex } from "@em-platform/protocol/core/bytes";
import { FakeClock } from "../../../testing/fake-board";
import { VirtualClock } from "../../../testing/virtual-clock";
import { SIM800 } from "../dialect-sim800";
import {
  DEFAULT_MODEM_TIMINGS,
  ModemDriver,
  type ModemStateValue,
  type ModemTimings,
} from "../modem-driver";
import { ScriptedUart } from "./scripted-uart";

export const CENTRE = "+447700900001";
export const OFFICER = "+447700900002";
export const APN = "em.example";
/** 2024-01-01T00:00:00Z */
export const EPOCH = 1704067200000;
/** How long resetModem takes on the fake board. */
export const RESET_MS = 100;

export interface Recorded {
  states: ModemStateValue[];
  times: number[];
  sms: string[];
  ringing: boolean[];
  inCall: boolean[];
  resets: number;
}

export interface Harness {
  world: VirtualClock;
  clock: FakeClock;
  uart: ScriptedUart;
  driver: ModemDriver;
  rec: Recorded;
}

/** Test timings: the defaults, signal polls out of the way unless a test wants them. */
export function testTimings(): ModemTimings {
  const t: ModemTimings = JSON.parse(JSON.stringify(DEFAULT_MODEM_TIMINGS));
  t.signalPollMs = 3600000;
  return t;
}

export function harness(seed: number, timings: ModemTimings, tls = false): Harness {
  const world = new VirtualClock(EPOCH);
  const clock = new FakeClock(world);
  const uart = new ScriptedUart(clock, seed);
  const rec: Recorded = { states: [], times: [], sms: [], ringing: [], inCall: [], resets: 0 };
  let draws = 0;
  const driver = new ModemDriver({
    uart: uart,
    clock: clock,
    dialect: SIM800,
    apn: APN,
    apnUser: "",
    apnPass: "",
    tls: tls,
    resetModem: (done) => {
      rec.resets++;
      clock.setTimeout(done, RESET_MS);
    },
    // Deterministic "random": 0, 0.5, 0, 0.5 …
    random: () => (draws++ % 2) * 0.5,
    smsAllowed: [CENTRE],
    callersAllowed: [OFFICER],
    onTime: (ms) => rec.times.push(ms),
    onSms: (bytes, sender) => rec.sms.push(sender + " " + toHex(bytes)),
    ringing: (on) => rec.ringing.push(on),
    inCall: (on) => rec.inCall.push(on),
    onState: (s) => rec.states.push(s),
    timings: timings,
  });
  return { world: world, clock: clock, uart: uart, driver: driver, rec: rec };
}

const OK = "\r\nOK\r\n";

/** AT probes to the end of setup, with the echo the modem has before ATE0. */
export function scriptSync(uart: ScriptedUart): void {
  uart.expect("AT\r", "AT\r" + OK);
  uart.expect("ATE0\r", "ATE0\r" + OK);
  const settings = [
    "AT+CMEE=1",
    "ATS0=0",
    "AT+CLIP=1",
    "AT+CMGF=1",
    "AT+CNMI=2,1,0,0,0",
    "AT+CREG=1",
    "AT+CLTS=1",
    "AT+CIPMUX=0",
    "AT+CIPRXGET=1",
  ];
  for (let i = 0; i < settings.length; i++) uart.expect(settings[i] + "\r", OK);
  uart.expect("AT+CPIN?\r", "\r\n+CPIN: READY\r\n" + OK);
}

/** Registration (already registered), attach, stored SMS, RTC, context. */
export function scriptNetwork(uart: ScriptedUart, firstOfBoot: boolean): void {
  uart.expect("AT+CREG?\r", "\r\n+CREG: 1,1\r\n" + OK);
  scriptAttach(uart, firstOfBoot);
}

export function scriptAttach(uart: ScriptedUart, firstOfBoot: boolean): void {
  uart.expect("AT+CGATT=1\r", OK);
  if (firstOfBoot) {
    uart.expect('AT+CMGL="ALL"\r', OK);
    uart.expect("AT+CCLK?\r", '\r\n+CCLK: "04/01/01,00:00:07+00"\r\n' + OK);
  }
  scriptContext(uart);
}

export function scriptContext(uart: ScriptedUart): void {
  uart.expect("AT+CIPSHUT\r", "\r\nSHUT OK\r\n");
  uart.expect('AT+CSTT="' + APN + '","",""\r', OK);
  uart.expect("AT+CIICR\r", OK);
  uart.expect("AT+CIFSR\r", "\r\n10.64.12.7\r\n");
}

/** Starts the driver and runs it to ready through the whole scripted bring-up. */
export function bringUp(h: Harness): boolean {
  scriptSync(h.uart);
  scriptNetwork(h.uart, true);
  h.driver.start();
  return h.world.runUntil(() => h.driver.state === "ready", 60000);
}

export const OK_REPLY = OK;

/**
 * Loose mode for long runs: answers every command like a healthy SIM800, except those for which
 * `special` returns a reply (or "" for silence). CIPSEND takes its payload and answers SEND OK.
 */
export function healthyModem(h: Harness, special: (line: string) => string | null): void {
  const u = h.uart;
  u.responder = (line: string) => {
    const s = special(line);
    if (s !== null) {
      if (s !== "") u.feedLater(s, 20);
      return;
    }
    if (line.substring(0, 11) === "AT+CIPSEND=") {
      const n = +line.substring(11);
      u.feedLater("\r\n> ", 20);
      u.takePayload(n, () => u.feedLater("\r\nSEND OK\r\n", 20));
      return;
    }
    let reply = OK;
    if (line === "AT+CPIN?") reply = "\r\n+CPIN: READY\r\n" + OK;
    else if (line === "AT+CREG?") reply = "\r\n+CREG: 1,1\r\n" + OK;
    else if (line === "AT+CIPSHUT") reply = "\r\nSHUT OK\r\n";
    else if (line === "AT+CIFSR") reply = "\r\n10.64.12.7\r\n";
    else if (line === "AT+CIPCLOSE=1") reply = "\r\nCLOSE OK\r\n";
    else if (line.substring(0, 11) === "AT+CIPSTART") reply = OK + "\r\nCONNECT OK\r\n";
    u.feedLater(reply, 20);
  };
}
