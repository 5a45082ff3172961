// A scripted SIM800 on the fake's Serial1 (espruino-fake.ts), with a scripted MQTT broker at the
// far end of its one TCP socket: enough of both for the home unit's bundle to come up, connect,
// publish and take a downlink in Duktape. Not the simulator's virtual modem (Node code): this one
// is compiled into the fake and runs in the interpreter next to the bundle.
//
// The command texts are written here from the SIM800 AT manual, not taken from the driver's
// dialect table, so a wrong text in the table gets "ERROR" back. Facts modelled on purpose:
// - echo is on until ATE0 (the driver must ignore its own command coming back);
// - RESET (D8) low holds the modem in reset; after it goes high the modem ignores the UART for
//   BOOT_MS (no "RDY": the baud rate is auto-detected, so the driver must wait and probe);
// - AT+CIFSR answers with the bare IP address and no OK; AT+CIPSTART answers OK, and
//   "CONNECT OK" comes later;
// - AT+CIPSEND=n prompts "> " and then takes exactly n bytes, then SEND OK;
// - received bytes wait in the modem (CIPRXGET=1): "+CIPRXGET: 1" when data arrives into an
//   empty buffer, and "AT+CIPRXGET=2,n" returns a header, the block, and OK;
// - while the broker is unreachable (setBrokerReachable(false)) an open socket ends with
//   "CLOSED" and AT+CIPSTART answers OK, then "CONNECT FAIL": the network stays registered and
//   the context comes up, only the far end is gone (a broker or backhaul outage).
// Every modem output goes out after the same delay, in order, so what the unit reads is the
// order in which the modem produced it.
// Plain functions and objects only: it runs in Duktape (ES5, no Map).

import { toHex } from "@em-platform/protocol/core/bytes";

/** How the modem reaches the rest of the fake. */
export interface Sim800Host {
  /** Runs fn after ms of virtual time (the fake's own timers, not the bundle's). */
  later(fn: () => void, ms: number): void;
  /** Bytes from the modem's TX to the unit's RX, as a string of byte values (Espruino's form). */
  deliver(data: string): void;
  now(): number;
  /** The broker has received a whole MQTT packet of this type. */
  received(type: number): void;
}

/** A packet the broker got from the unit. */
export interface BrokerPacket {
  atMs: number;
  type: number;
  hex: string;
}

export interface Sim800Report {
  /** Every byte the unit wrote on the UART, in order. */
  txHex: string;
  /** Command lines, in order of arrival (payload bytes not included). */
  commands: string[];
  /** Commands answered ERROR because the script does not know them. */
  unknown: string[];
  /** CIPSTART targets, "host:port". */
  connects: string[];
  /** The payload of each completed CIPSEND. */
  sends: string[];
  /** MQTT packets the broker received, whole. */
  packets: BrokerPacket[];
}

export interface FakeSim800 {
  /** Bytes the unit wrote to Serial1. */
  write(bytes: Uint8Array): void;
  /** The level of the modem's RESET line (active low). */
  setReset(level: boolean): void;
  /** The broker sends a QoS 1 PUBLISH to the unit. */
  brokerPublish(topic: string, payload: Uint8Array, packetId: number): void;
  /** The broker goes away (an open socket is closed by the far end) or comes back. */
  setBrokerReachable(up: boolean): void;
  report(): Sim800Report;
}

const OUT_DELAY_MS = 5;
const BOOT_MS = 3000;
const CONNECT_MS = 150;
const NETWORK_MS = 40;
const IP = "10.170.3.21";
const CCLK = '+CCLK: "26/11/23,10:00:00+08"';

const SETTINGS = [
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
const QUERIES: { [cmd: string]: string } = {
  "AT+CPIN?": "+CPIN: READY",
  "AT+CREG?": "+CREG: 1,1",
  "AT+CSQ": "+CSQ: 20,0",
  "AT+CCLK?": CCLK,
};

function startsWith(s: string, p: string): boolean {
  return s.substring(0, p.length) === p;
}

/** MQTT Remaining Length (§2.2.3) of the packet at `at`: [value, bytes it took], or null if
 * the buffer does not hold all of the field yet. */
function remainingLength(b: number[], at: number): number[] | null {
  let v = 0;
  let mul = 1;
  for (let i = 1; i <= 4; i++) {
    if (at + i >= b.length) return null;
    v += (b[at + i] & 127) * mul;
    if ((b[at + i] & 128) === 0) return [v, i];
    mul *= 128;
  }
  return null;
}

export function createSim800(host: Sim800Host): FakeSim800 {
  const tx: number[] = [];
  const commands: string[] = [];
  const unknown: string[] = [];
  const connects: string[] = [];
  const sends: string[] = [];
  const packets: BrokerPacket[] = [];
  let powered = true;
  let readyAt = 0;
  let echo = true;
  let line = "";
  /** > 0 while taking a CIPSEND payload: bytes still to come. */
  let payloadLeft = 0;
  let payload: number[] = [];
  let socketOpen = false;
  let brokerUp = true;
  /** Bytes from the broker waiting in the modem for CIPRXGET=2. */
  let rx: number[] = [];
  /** Bytes from the unit not yet a whole MQTT packet. */
  let stream: number[] = [];

  function out(text: string): void {
    host.later(() => {
      if (powered) host.deliver(text);
    }, OUT_DELAY_MS);
  }

  function reply(lines: string[]): void {
    let s = "";
    for (let i = 0; i < lines.length; i++) s += "\r\n" + lines[i] + "\r\n";
    out(s);
  }

  function toUnit(bytes: number[]): void {
    host.later(() => {
      if (!socketOpen) return;
      const wasEmpty = rx.length === 0;
      for (let i = 0; i < bytes.length; i++) rx.push(bytes[i]);
      if (wasEmpty) reply(["+CIPRXGET: 1"]);
    }, NETWORK_MS);
  }

  function brokerPacket(p: number[]): void {
    const type = p[0] >> 4;
    packets.push({ atMs: host.now(), type: type, hex: toHex(new Uint8Array(p)) });
    host.received(type);
    const lenBytes = (remainingLength(p, 0) as number[])[1];
    const body = 1 + lenBytes;
    if (type === 1) toUnit([0x20, 2, 0, 0]);
    else if (type === 8) toUnit([0x90, 3, p[body], p[body + 1], 1]);
    else if (type === 12) toUnit([0xd0, 0]);
    else if (type === 3 && ((p[0] >> 1) & 3) === 1) {
      const at = body + 2 + ((p[body] << 8) | p[body + 1]);
      toUnit([0x40, 2, p[at], p[at + 1]]);
    }
  }

  function toBroker(bytes: number[]): void {
    for (let i = 0; i < bytes.length; i++) stream.push(bytes[i]);
    for (;;) {
      const rl = remainingLength(stream, 0);
      if (rl === null || stream.length < 1 + rl[1] + rl[0]) return;
      const n = 1 + rl[1] + rl[0];
      brokerPacket(stream.slice(0, n));
      stream = stream.slice(n);
    }
  }

  function read(n: number): void {
    const take = Math.min(n, rx.length);
    const block = rx.slice(0, take);
    rx = rx.slice(take);
    let s = "\r\n+CIPRXGET: 2," + take + "," + rx.length + "\r\n";
    for (let i = 0; i < block.length; i++) s += String.fromCharCode(block[i]);
    out(s + "\r\nOK\r\n");
  }

  function command(cmd: string): void {
    commands.push(cmd);
    if (echo) out(cmd + "\r");
    if (cmd === "AT" || SETTINGS.indexOf(cmd) >= 0) reply(["OK"]);
    else if (cmd === "ATE0") {
      echo = false;
      reply(["OK"]);
    } else if (QUERIES[cmd] !== undefined) reply([QUERIES[cmd], "OK"]);
    else if (cmd === "AT+CGATT=1" || cmd === "AT+CIICR" || cmd === 'AT+CMGL="ALL"') reply(["OK"]);
    else if (startsWith(cmd, 'AT+CSTT="')) reply(["OK"]);
    // The modem's TLS is the modem's: the fake broker behind it sees the same MQTT either way.
    else if (cmd === "AT+CIPSSL=1" || cmd === "AT+CIPSSL=0") reply(["OK"]);
    else if (cmd === "AT+CIFSR") reply([IP]);
    else if (cmd === "AT+CIPSHUT") {
      socketOpen = false;
      reply(["SHUT OK"]);
    } else if (cmd === "AT+CIPCLOSE=1") {
      socketOpen = false;
      reply(["CLOSE OK"]);
    } else if (startsWith(cmd, 'AT+CIPSTART="TCP","')) {
      const f = cmd.substring(19).split('",');
      connects.push(f[0] + ":" + f[1]);
      if (socketOpen) reply(["ALREADY CONNECT"]);
      else {
        reply(["OK"]);
        host.later(() => {
          if (!brokerUp) {
            reply(["CONNECT FAIL"]);
            return;
          }
          socketOpen = true;
          rx = [];
          stream = [];
          reply(["CONNECT OK"]);
        }, CONNECT_MS);
      }
    } else if (startsWith(cmd, "AT+CIPSEND=")) {
      if (!socketOpen) {
        reply(["ERROR"]);
        return;
      }
      const n = parseInt(cmd.substring(11), 10);
      // Payload mode starts with the prompt: bytes the unit sends before it see the prompt are
      // taken as a command line (and answered ERROR), as on the modem.
      host.later(() => {
        if (!powered) return;
        payloadLeft = n;
        payload = [];
        host.deliver("\r\n> ");
      }, OUT_DELAY_MS);
    } else if (startsWith(cmd, "AT+CIPRXGET=2,")) read(parseInt(cmd.substring(14), 10));
    else {
      unknown.push(cmd);
      reply(["ERROR"]);
    }
  }

  function byte(b: number): void {
    if (payloadLeft > 0) {
      payload.push(b);
      if (--payloadLeft > 0) return;
      if (!socketOpen) {
        reply(["SEND FAIL"]); // closed since the CIPSEND: nothing leaves
        return;
      }
      sends.push(toHex(new Uint8Array(payload)));
      reply(["SEND OK"]);
      toBroker(payload);
      return;
    }
    if (b === 13) {
      if (line.length > 0) command(line);
      line = "";
    } else if (b !== 10) line += String.fromCharCode(b);
  }

  return {
    write: (bytes: Uint8Array) => {
      for (let i = 0; i < bytes.length; i++) tx.push(bytes[i]);
      if (!powered || host.now() < readyAt) return;
      for (let i = 0; i < bytes.length; i++) byte(bytes[i]);
    },
    setReset: (level: boolean) => {
      if (level === powered) return;
      powered = level;
      // Both edges leave the modem as after power-on.
      echo = true;
      line = "";
      payloadLeft = 0;
      socketOpen = false;
      rx = [];
      stream = [];
      readyAt = host.now() + BOOT_MS;
    },
    brokerPublish: (topic: string, data: Uint8Array, packetId: number) => {
      const t: number[] = [];
      for (let i = 0; i < topic.length; i++) t.push(topic.charCodeAt(i));
      const remaining = 2 + t.length + 2 + data.length;
      const p: number[] = [0x32];
      let n = remaining;
      do {
        let b = n % 128;
        n = Math.floor(n / 128);
        if (n > 0) b |= 128;
        p.push(b);
      } while (n > 0);
      p.push(t.length >> 8, t.length & 255);
      for (let i = 0; i < t.length; i++) p.push(t[i]);
      p.push(packetId >> 8, packetId & 255);
      for (let i = 0; i < data.length; i++) p.push(data[i]);
      toUnit(p);
    },
    setBrokerReachable: (up: boolean) => {
      brokerUp = up;
      if (up || !socketOpen) return;
      socketOpen = false;
      rx = [];
      stream = [];
      reply(["CLOSED"]);
    },
    report: () => ({
      txHex: toHex(new Uint8Array(tx)),
      commands: commands,
      unknown: unknown,
      connects: connects,
      sends: sends,
      packets: packets,
    }),
  };
}
