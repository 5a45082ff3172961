// Real TCP against an embedded aedes broker, on real time (short waits, no speed asserts).

import { createServer, type Server } from "node:net";
import { SMS_IN_TOPIC } from "@em-platform/protocol/core/topics";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INSTANT_LATENCY } from "./latency";
import { Network } from "./network";
import { RealTimeClock } from "./real-time-clock";
import { SmsGateway } from "./sms-gateway";
import { VirtualModem } from "./virtual-modem";

let server: Server;
let broker: Aedes;
let port = 0;

beforeAll(async () => {
  broker = await Aedes.createBroker();
  server = createServer(broker.handle);
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", () => res()));
  const addr = server.address();
  port = typeof addr === "object" && addr !== null ? addr.port : 0;
});

afterAll(async () => {
  await new Promise<void>((res) => broker.close(() => res()));
  await new Promise<void>((res) => server.close(() => res()));
});

async function waitFor(predicate: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (predicate()) return true;
    await new Promise((res) => setTimeout(res, 5));
  }
  return predicate();
}

function rig(number: string) {
  const clock = new RealTimeClock();
  const network = new Network({ clock: clock, smsDelayMs: 20 });
  const modem = new VirtualModem({
    clock: clock,
    network: network,
    number: number,
    area: "lab",
    latency: Object.assign({}, INSTANT_LATENCY, { connectMs: 20, downlinkMs: 5 }),
  });
  let got: number[] = [];
  modem.uart.onData((c) => {
    for (let i = 0; i < c.length; i++) got.push(c[i]);
  });
  const text = () => String.fromCharCode(...got);
  return {
    clock: clock,
    network: network,
    modem: modem,
    text: text,
    bytes: () => got,
    clear: () => {
      got = [];
    },
    send: (s: string | Uint8Array) =>
      modem.uart.write(typeof s === "string" ? Uint8Array.from(s, (ch) => ch.charCodeAt(0)) : s),
    /** Sends a command line and waits until the reply ends with `end`. */
    cmd: async (line: string, end: string) => {
      got = [];
      modem.uart.write(Uint8Array.from(line + "\r", (ch) => ch.charCodeAt(0)));
      expect(await waitFor(() => text().endsWith(end), 3000)).toBe(true);
      const t = text();
      got = [];
      return t;
    },
  };
}

// MQTT 3.1.1 CONNECT, client id "u1", clean session, keep-alive 60 s (16 bytes).
const CONNECT = Uint8Array.from([
  0x10, 0x0e, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x02, 0x75, 0x31,
]);

describe("VirtualModem over real TCP to aedes", () => {
  it("CONNECT via CIPSEND, CONNACK via CIPRXGET, CLOSED when the broker drops us", async () => {
    const r = rig("+37120000101");
    expect(await waitFor(() => r.text().includes("SMS Ready"), 2000)).toBe(true);
    await waitFor(() => r.modem.snapshot().registered, 2000);
    await r.cmd("ATE0", "OK\r\n");
    await r.cmd("AT+CIPRXGET=1", "OK\r\n");
    await r.cmd('AT+CSTT="internet"', "OK\r\n");
    await r.cmd("AT+CIICR", "OK\r\n");
    expect(await r.cmd("AT+CIFSR", ".21\r\n")).toBe("\r\n10.120.7.21\r\n");
    expect(await r.cmd('AT+CIPSTART="TCP","127.0.0.1",' + port, "CONNECT OK\r\n")).toBe(
      "\r\nOK\r\n\r\nCONNECT OK\r\n",
    );
    expect(await r.cmd("AT+CIPSEND=16", "> ")).toBe("\r\n> ");
    r.send(CONNECT);
    expect(await waitFor(() => r.text().includes("+CIPRXGET: 1\r\n"), 3000)).toBe(true);
    expect(r.text()).toBe("\r\nSEND OK\r\n\r\n+CIPRXGET: 1\r\n");
    const read = await r.cmd("AT+CIPRXGET=2,512", "\r\nOK\r\n");
    expect(read).toBe("\r\n+CIPRXGET: 2,4,0\r\n\x20\x02\x00\x00\r\nOK\r\n");
    // A second CONNECT on the same connection is a protocol violation: aedes closes it.
    await r.cmd("AT+CIPSEND=16", "> ");
    r.send(CONNECT);
    expect(await waitFor(() => r.text().includes("CLOSED\r\n"), 3000)).toBe(true);
    expect(r.modem.snapshot().ipState).toBe("TCP CLOSED");
    r.modem.powerOff();
  });

  it("reports CONNECT FAIL for a port nobody listens on", async () => {
    const r = rig("+37120000102");
    await waitFor(() => r.modem.snapshot().registered, 2000);
    await r.cmd("ATE0", "OK\r\n");
    await r.cmd('AT+CSTT="internet"', "OK\r\n");
    await r.cmd("AT+CIICR", "OK\r\n");
    await r.cmd("AT+CIFSR", "\r\n");
    const closed = createServer();
    await new Promise<void>((res) => closed.listen(0, "127.0.0.1", () => res()));
    const a = closed.address();
    const deadPort = typeof a === "object" && a !== null ? a.port : 1;
    await new Promise<void>((res) => closed.close(() => res()));
    expect(await r.cmd('AT+CIPSTART="TCP","127.0.0.1",' + deadPort, "CONNECT FAIL\r\n")).toBe(
      "\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n\r\nCONNECT FAIL\r\n",
    );
    r.modem.powerOff();
  });

  it("the SMS gateway publishes each received SMS on em/v1/sms/in", async () => {
    const r = rig("+37120000103");
    const gw = new SmsGateway({
      network: r.network,
      number: "+37129999999",
      brokerUrl: "mqtt://127.0.0.1:" + port,
    });
    await gw.start();
    const sub = await mqtt.connectAsync("mqtt://127.0.0.1:" + port, { clientId: "centre" });
    const seen: string[] = [];
    sub.on("message", (topic, payload) => {
      if (topic === SMS_IN_TOPIC) seen.push(payload.toString());
    });
    await sub.subscribeAsync(SMS_IN_TOPIC, { qos: 1 });
    expect(await waitFor(() => r.text().includes("SMS Ready"), 2000)).toBe(true);
    await waitFor(() => r.modem.snapshot().registered, 2000);
    await r.cmd("ATE0", "OK\r\n");
    await r.cmd("AT+CMGF=1", "OK\r\n");
    await r.cmd('AT+CMGS="+37129999999"', "> ");
    r.send("EM1:AAEC\x1a");
    expect(await waitFor(() => seen.length === 1, 3000)).toBe(true);
    const m = JSON.parse(seen[0]);
    expect(Object.keys(m)).toEqual(["from", "text", "at"]);
    expect(m.from).toBe("+37120000103");
    expect(m.text).toBe("EM1:AAEC");
    expect(Number.isNaN(Date.parse(m.at))).toBe(false);
    await sub.endAsync();
    await gw.stop();
    r.modem.powerOff();
  });
});
