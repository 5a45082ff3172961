import { describe, expect, it } from "vitest";
import { ModemFaults } from "./faults";
import { INSTANT_LATENCY, SIM800_LATENCY } from "./latency";
import { modemRig, RIG_EPOCH } from "./modem-testkit";
import { Outage } from "./network";
import { SmsGateway } from "./sms-gateway";
import type { TcpConnection, TcpConnector, TcpEvents } from "./tcp-connector";

const BOOT = "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n";
const EXACT = { jitter: 0, baud: 0 };

/** An in-memory far end under virtual time: records what the modem sends, pushes replies. */
class FakePeer implements TcpConnector {
  sent: number[] = [];
  events: TcpEvents | null = null;
  refuse = false;
  paused = false;
  host = "";
  port = 0;
  tls: boolean[] = [];
  connect(host: string, port: number, events: TcpEvents, tls?: boolean): TcpConnection {
    this.host = host;
    this.port = port;
    this.tls.push(tls === true);
    this.events = events;
    if (this.refuse) events.failed("refused");
    else events.connected();
    return {
      write: (d) => {
        for (let i = 0; i < d.length; i++) this.sent.push(d[i]);
      },
      pause: () => (this.paused = true),
      resume: () => (this.paused = false),
      destroy: () => (this.events = null),
    };
  }
}

function booted(o: Parameters<typeof modemRig>[0]) {
  const r = modemRig(o);
  r.run(7000);
  expect(r.take()).toBe(BOOT);
  return r;
}

/** Runs one command under INSTANT latency and returns the reply text. */
function at(r: ReturnType<typeof modemRig>, line: string): string {
  r.send(line + "\r");
  r.run(100);
  return r.take();
}

function bringUp(r: ReturnType<typeof modemRig>): void {
  for (const c of ["ATE0", "AT+CMEE=1", "AT+CIPRXGET=1", "AT+CIPSHUT", 'AT+CSTT="internet","",""'])
    at(r, c);
  expect(at(r, "AT+CIICR")).toBe("\r\nOK\r\n");
  expect(at(r, "AT+CIFSR")).toBe("\r\n10.120.7.21\r\n");
}

describe("VirtualModem: boot, echo and basic commands", () => {
  it("prints the boot lines at the table's times and drops input before RDY", () => {
    const r = modemRig({ latency: EXACT });
    r.send("AT\r");
    r.run(SIM800_LATENCY.rdyMs - 1);
    expect(r.take()).toBe("");
    r.run(1);
    expect(r.take()).toBe("\r\nRDY\r\n");
    r.run(SIM800_LATENCY.smsReadyMs);
    expect(r.take()).toBe(
      "\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n",
    );
    expect(r.modem.stats.bytesLost).toBe(3);
  });

  it("echoes with ATE1 (the default), stops after ATE0, answers unknown commands with ERROR", () => {
    const r = booted({ latency: EXACT });
    r.send("AT\r");
    r.run(SIM800_LATENCY.commandMs - 1);
    expect(r.take()).toBe("AT\r");
    r.run(1);
    expect(r.take()).toBe("\r\nOK\r\n");
    expect(at(r, "ATE0")).toBe("ATE0\r\r\nOK\r\n");
    expect(at(r, "AT")).toBe("\r\nOK\r\n");
    expect(at(r, "AT+NOSUCH")).toBe("\r\nERROR\r\n");
    expect(at(r, "at+csq")).toBe("\r\n+CSQ: 20,0\r\n\r\nOK\r\n");
    expect(at(r, "AT+CGMI=?")).toBe("\r\nERROR\r\n");
  });

  it("answers every setting of the driver's setup list with OK", () => {
    const r = booted({ latency: INSTANT_LATENCY });
    const setup = ["ATE0", "AT+CMEE=1", "ATS0=0", "AT+CLIP=1", "AT+CMGF=1", "AT+CNMI=2,1,0,0,0"];
    for (const c of setup.concat(["AT+CREG=1", "AT+CLTS=1", "AT+CIPMUX=0", "AT+CIPRXGET=1"]))
      expect(at(r, c)).toMatch(/\r\nOK\r\n$/);
    expect(at(r, "AT+CMEE?")).toBe("\r\n+CMEE: 1\r\n\r\nOK\r\n");
    expect(at(r, "AT+CIPMUX=1")).toBe("\r\nERROR\r\n");
  });

  it("reports SIM, registration, signal and the network's time", () => {
    const r = booted({ latency: INSTANT_LATENCY });
    at(r, "ATE0");
    expect(at(r, "AT+CPIN?")).toBe("\r\n+CPIN: READY\r\n\r\nOK\r\n");
    expect(at(r, "AT+CREG?")).toBe("\r\n+CREG: 0,1\r\n\r\nOK\r\n");
    expect(at(r, "AT+CCLK?")).toMatch(/^\r\n\+CCLK: "04\/01\/01,00:00:0\d\+00"\r\n\r\nOK\r\n$/);
    r.network.area("riga").zoneQuarters = 8;
    r.network.area("riga").dst = 0;
    at(r, "AT+CREG=1");
    at(r, "AT+CLTS=1");
    r.network.area("riga").beginOutage(Outage.coverage);
    r.run(1);
    expect(r.take()).toBe("\r\n+CREG: 2\r\n");
    expect(at(r, "AT+CSQ")).toBe("\r\n+CSQ: 99,99\r\n\r\nOK\r\n");
    r.network.area("riga").endOutage(Outage.coverage);
    r.run(100);
    // Virtual time has moved 7,000 + 10 × 100 ms or so since the epoch; check the shape and zone.
    const urcs = r.take();
    expect(urcs).toMatch(
      /^\r\n\+CREG: 1\r\n\r\n\*PSUTTZ: 2024,10,27,4,30,2\d,"\+8",0\r\n\r\nDST: 0\r\n$/,
    );
    expect(at(r, "AT+CCLK?")).toMatch(/^\r\n\+CCLK: "24\/10\/27,06:30:2\d\+08"\r\n\r\nOK\r\n$/);
  });

  it("gives +CME ERROR in the form AT+CMEE selects when the SIM is missing", () => {
    const r = modemRig({ latency: INSTANT_LATENCY });
    r.modem.sim = "absent";
    r.modem.reboot();
    r.run(100);
    expect(r.take()).toBe("\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: NOT INSERTED\r\n");
    at(r, "ATE0");
    expect(at(r, "AT+CPIN?")).toBe("\r\nERROR\r\n");
    at(r, "AT+CMEE=1");
    expect(at(r, "AT+CPIN?")).toBe("\r\n+CME ERROR: 10\r\n");
    at(r, "AT+CMEE=2");
    expect(at(r, "AT+CPIN?")).toBe("\r\n+CME ERROR: SIM not inserted\r\n");
    expect(at(r, "AT+CREG?")).toBe("\r\n+CREG: 0,0\r\n\r\nOK\r\n");
  });
});

describe("VirtualModem: TCP (in-memory peer, virtual time)", () => {
  it("AT+CIPSSL=1 makes the next CIPSTART TLS; refused while a connection is open", () => {
    const peer = new FakePeer();
    const r = booted({ latency: INSTANT_LATENCY, tcp: peer });
    bringUp(r);
    expect(at(r, "AT+CIPSSL?")).toBe("\r\n+CIPSSL: 0\r\n\r\nOK\r\n");
    expect(at(r, "AT+CIPSSL=1")).toBe("\r\nOK\r\n");
    expect(at(r, "AT+CIPSSL=2")).toBe("\r\nERROR\r\n");
    expect(at(r, 'AT+CIPSTART="TCP","broker.example",8883')).toBe("\r\nOK\r\n\r\nCONNECT OK\r\n");
    expect(at(r, "AT+CIPSSL=0")).toBe("\r\nERROR\r\n");
    expect(at(r, "AT+CIPCLOSE=1")).toBe("\r\nCLOSE OK\r\n");
    expect(at(r, "AT+CIPSSL=0")).toBe("\r\nOK\r\n");
    expect(at(r, 'AT+CIPSTART="TCP","broker.example",1883')).toBe("\r\nOK\r\n\r\nCONNECT OK\r\n");
    expect(peer.tls).toEqual([true, false]);
  });

  it("opens, sends with the prompt, announces and frames received blocks, reports CLOSED", () => {
    const peer = new FakePeer();
    const r = booted({ latency: INSTANT_LATENCY, tcp: peer });
    bringUp(r);
    expect(at(r, 'AT+CIPSTART="TCP","broker.example",1883')).toBe("\r\nOK\r\n\r\nCONNECT OK\r\n");
    expect([peer.host, peer.port]).toEqual(["broker.example", 1883]);
    expect(at(r, 'AT+CIPSTART="TCP","broker.example",1883')).toBe("\r\nALREADY CONNECT\r\n");

    r.send("AT+CIPSEND=5\r");
    r.run(10);
    expect(r.take()).toBe("\r\n> ");
    r.send("he\r\nx");
    r.run(10);
    expect(r.take()).toBe("\r\nSEND OK\r\n");
    expect(peer.sent).toEqual([104, 101, 13, 10, 120]);

    peer.events?.data(Uint8Array.from([1, 2, 3, 13, 10, 0, 255]));
    peer.events?.data(Uint8Array.from([7, 8, 9]));
    r.run(10);
    expect(r.take()).toBe("\r\n+CIPRXGET: 1\r\n");
    expect(at(r, "AT+CIPRXGET=4")).toBe("\r\n+CIPRXGET: 4,10\r\n\r\nOK\r\n");
    expect(at(r, "AT+CIPRXGET=2,6")).toBe("\r\n+CIPRXGET: 2,6,4\r\n\x01\x02\x03\r\n\x00\r\nOK\r\n");
    expect(at(r, "AT+CIPRXGET=2,512")).toBe("\r\n+CIPRXGET: 2,4,0\r\n\xff\x07\x08\x09\r\nOK\r\n");
    expect(at(r, "AT+CIPRXGET=2,512")).toBe("\r\n+CIPRXGET: 2,0,0\r\n\r\nOK\r\n");
    // Drained: the next arrival is announced again.
    peer.events?.data(Uint8Array.from([0x41, 0x42]));
    r.run(10);
    expect(r.take()).toBe("\r\n+CIPRXGET: 1\r\n");
    expect(at(r, "AT+CIPRXGET=3,8")).toBe("\r\n+CIPRXGET: 3,2,0\r\n4142\r\nOK\r\n");

    peer.events?.closed();
    r.run(10);
    expect(r.take()).toBe("\r\nCLOSED\r\n");
    expect(at(r, "AT+CIPCLOSE=1")).toBe("\r\nERROR\r\n");
    expect(at(r, "AT+CIPSEND=1")).toBe("\r\nERROR\r\n");
    expect(at(r, 'AT+CIPSTART="TCP","broker.example",1883')).toBe("\r\nOK\r\n\r\nCONNECT OK\r\n");
    expect(at(r, "AT+CIPCLOSE=1")).toBe("\r\nCLOSE OK\r\n");
    expect(at(r, "AT+CIPSTATUS")).toBe("\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n");
  });

  it("reports CONNECT FAIL after STATE when the far end refuses", () => {
    const peer = new FakePeer();
    peer.refuse = true;
    const r = booted({ latency: INSTANT_LATENCY, tcp: peer });
    bringUp(r);
    expect(at(r, 'AT+CIPSTART="TCP","10.0.0.1",1')).toBe(
      "\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n\r\nCONNECT FAIL\r\n",
    );
  });

  it("refuses CIPSTART before CIFSR, as the manual's state table says", () => {
    const r = booted({ latency: INSTANT_LATENCY, tcp: new FakePeer() });
    at(r, "ATE0");
    at(r, 'AT+CSTT="internet"');
    at(r, "AT+CIICR");
    expect(at(r, 'AT+CIPSTART="TCP","h",1')).toBe("\r\nERROR\r\n");
    expect(at(r, "AT+CIICR")).toBe("\r\nERROR\r\n");
  });

  it("bounds its receive buffer by pausing the socket", () => {
    const peer = new FakePeer();
    const r = booted({ latency: INSTANT_LATENCY, tcp: peer });
    bringUp(r);
    at(r, 'AT+CIPSTART="TCP","h",1');
    peer.events?.data(new Uint8Array(9000));
    r.run(10);
    expect(peer.paused).toBe(true);
    expect(r.modem.snapshot().rxBuffered).toBe(9000);
    for (let i = 0; i < 6; i++) at(r, "AT+CIPRXGET=2,1460");
    expect(peer.paused).toBe(false);
    expect(r.modem.snapshot().rxBuffered).toBe(240);
  });

  it("waits the table's latencies (virtual time)", () => {
    const peer = new FakePeer();
    const r = booted({ latency: EXACT, tcp: peer });
    at(r, "ATE0");
    at(r, "AT+CIPRXGET=1");
    at(r, 'AT+CSTT="internet"');
    r.send("AT+CIICR\r");
    r.run(SIM800_LATENCY.contextMs - 1);
    expect(r.take()).toBe("");
    r.run(1);
    expect(r.take()).toBe("\r\nOK\r\n");
    at(r, "AT+CIFSR");
    r.send('AT+CIPSTART="TCP","h",1\r');
    r.run(SIM800_LATENCY.openOkMs);
    expect(r.take()).toBe("\r\nOK\r\n");
    r.run(SIM800_LATENCY.connectMs - SIM800_LATENCY.openOkMs);
    expect(r.take()).toBe("\r\nCONNECT OK\r\n");
  });
});

describe("VirtualModem: network outages", () => {
  it("drops the context on a packet-data outage: +PDP: DEACT, then CIPSTART and CIICR fail", () => {
    const peer = new FakePeer();
    const r = booted({ latency: INSTANT_LATENCY, tcp: peer });
    bringUp(r);
    at(r, 'AT+CIPSTART="TCP","h",1');
    r.network.scheduleOutage(r.network.area("riga"), Outage.packet, 1000, 60000);
    r.run(1000);
    expect(r.take()).toBe("\r\n+PDP: DEACT\r\n");
    expect(peer.events).toBe(null);
    expect(at(r, 'AT+CIPSTART="TCP","h",1')).toBe("\r\nERROR\r\n");
    expect(at(r, "AT+CIPSHUT")).toBe("\r\nSHUT OK\r\n");
    expect(at(r, 'AT+CSTT="internet"')).toBe("\r\nOK\r\n");
    expect(at(r, "AT+CIICR")).toBe("\r\nERROR\r\n");
    expect(at(r, "AT+CREG?")).toBe("\r\n+CREG: 0,1\r\n\r\nOK\r\n");
    r.run(60000);
    at(r, "AT+CIPSHUT");
    at(r, 'AT+CSTT="internet"');
    expect(at(r, "AT+CIICR")).toBe("\r\nOK\r\n");
  });

  it("a per-unit outage leaves the neighbour in the same area alone", () => {
    const a = booted({ latency: INSTANT_LATENCY, tcp: new FakePeer() });
    const b = booted({
      latency: INSTANT_LATENCY,
      tcp: new FakePeer(),
      network: a.network,
      world: a.world,
      number: "+37120000002",
    });
    bringUp(a);
    bringUp(b);
    a.modem.subscriber.beginOutage(Outage.packet);
    a.run(10);
    b.run(0);
    expect(a.take()).toBe("\r\n+PDP: DEACT\r\n");
    expect(b.take()).toBe("");
  });
});

describe("VirtualModem: SMS and calls", () => {
  it("sends an SMS to the gateway and receives one from it", () => {
    const r = booted({ latency: INSTANT_LATENCY });
    const gw = new SmsGateway({ network: r.network, number: "+37129999999" });
    for (const c of ["ATE0", "AT+CMEE=1", "AT+CMGF=1", "AT+CNMI=2,1,0,0,0"]) at(r, c);
    r.send('AT+CMGS="+37129999999"\r');
    r.run(10);
    expect(r.take()).toBe("\r\n> ");
    r.send("EM1:abc\x1a");
    const sentAt = r.world.time;
    r.run(10);
    expect(r.take()).toBe("\r\n+CMGS: 1\r\n\r\nOK\r\n");
    r.run(r.network.smsDelayMs);
    expect(gw.received).toHaveLength(1);
    expect(gw.received[0].from).toBe("+37120000001");
    expect(gw.received[0].text).toBe("EM1:abc");
    expect(Date.parse(gw.received[0].at)).toBe(RIG_EPOCH + sentAt + r.network.smsDelayMs);

    r.network.area("riga").zoneQuarters = 8;
    expect(gw.sendTo("+37120000001", "EM1:cmd")).toBe(true);
    r.run(r.network.smsDelayMs);
    expect(r.take()).toBe('\r\n+CMTI: "SM",1\r\n');
    const stamp =
      /^\r\n\+CMGR: "REC UNREAD","\+37129999999","","24\/10\/27,06:30:\d\d\+08"\r\nEM1:cmd\r\n\r\nOK\r\n$/;
    expect(at(r, "AT+CMGR=1")).toMatch(stamp);
    expect(at(r, "AT+CMGR=1")).toMatch(/^\r\n\+CMGR: "REC READ",/);
    gw.sendTo("+37120000001", "second", "+37111111111");
    r.run(r.network.smsDelayMs);
    expect(r.take()).toBe('\r\n+CMTI: "SM",2\r\n');
    expect(at(r, 'AT+CMGL="ALL"')).toMatch(
      /^\r\n\+CMGL: 1,"REC READ","\+37129999999","","[^"]+"\r\nEM1:cmd\r\n\r\n\+CMGL: 2,"REC UNREAD","\+37111111111","","[^"]+"\r\nsecond\r\n\r\nOK\r\n$/,
    );
    expect(at(r, "AT+CMGD=1")).toBe("\r\nOK\r\n");
    expect(at(r, "AT+CMGR=1")).toBe("\r\nOK\r\n");
    expect(at(r, "AT+CMGR=31")).toBe("\r\n+CMS ERROR: 321\r\n");
    expect(at(r, "AT+CMGD=1,4")).toBe("\r\nOK\r\n");
    expect(r.modem.snapshot().storedSms).toBe(0);
  });

  it("keeps SMS for a unit out of coverage until it is back", () => {
    const r = booted({ latency: INSTANT_LATENCY });
    const gw = new SmsGateway({ network: r.network, number: "+37129999999" });
    at(r, "ATE0");
    at(r, "AT+CNMI=2,1,0,0,0");
    r.modem.subscriber.beginOutage(Outage.coverage);
    gw.sendTo(r.modem.number, "late");
    r.run(10000);
    expect(r.take()).toBe("");
    expect(r.network.pendingFor(r.modem.number)).toBe(1);
    r.modem.subscriber.endOutage(Outage.coverage);
    r.run(10000);
    expect(r.take()).toBe('\r\n+CMTI: "SM",1\r\n');
  });

  it("rings with caller id, answers with ATA, reports NO CARRIER when the caller hangs up", () => {
    const r = booted({ latency: INSTANT_LATENCY });
    at(r, "ATE0");
    at(r, "AT+CLIP=1");
    const call = r.network.call("+37167000000", r.modem.number);
    expect(call).not.toBe(null);
    r.run(10);
    const ring = '\r\nRING\r\n\r\n+CLIP: "+37167000000",145,"",0,"",0\r\n';
    expect(r.take()).toBe(ring);
    r.run(3000);
    expect(r.take()).toBe(ring);
    expect(at(r, "ATA")).toBe("\r\nOK\r\n");
    expect(call?.state).toBe("active");
    r.run(10000);
    expect(r.take()).toBe("");
    call?.end("caller");
    r.run(10);
    expect(r.take()).toBe("\r\nNO CARRIER\r\n");
    expect(at(r, "ATA")).toBe("\r\nNO CARRIER\r\n");
  });

  it("ATH ends a ringing call; an unanswered call ends with NO CARRIER", () => {
    const r = booted({ latency: INSTANT_LATENCY });
    at(r, "ATE0");
    const c1 = r.network.call("112", r.modem.number);
    r.run(10);
    expect(r.take()).toBe("\r\nRING\r\n");
    expect(at(r, "ATH")).toBe("\r\nOK\r\n");
    expect(c1?.endedBy).toBe("callee");
    r.network.call("112", r.modem.number);
    r.run(r.network.callTimeoutMs);
    expect(r.take()).toBe("\r\nRING\r\n".repeat(10) + "\r\nNO CARRIER\r\n");
  });
});

describe("VirtualModem: faults", () => {
  it("answers ERROR to the next N commands, then recovers", () => {
    const r = booted({ latency: INSTANT_LATENCY });
    at(r, "ATE0");
    r.modem.faults.errorNext(2);
    expect(at(r, "AT")).toBe("\r\nERROR\r\n");
    expect(at(r, "AT+CSQ")).toBe("\r\nERROR\r\n");
    expect(at(r, "AT")).toBe("\r\nOK\r\n");
    expect(r.modem.faults.counts.errorReplies).toBe(2);
  });

  it("stays silent for the next N commands", () => {
    const r = booted({ latency: INSTANT_LATENCY });
    at(r, "ATE0");
    r.modem.faults.silenceNext(1);
    expect(at(r, "AT")).toBe("");
    expect(at(r, "AT")).toBe("\r\nOK\r\n");
  });

  it("delays replies by slowReplyMs", () => {
    const faults = new ModemFaults({ seed: 3, slowReplyRate: 1, slowReplyMs: 4000 });
    const r = booted({ latency: INSTANT_LATENCY, faults: faults });
    r.send("ATE0\r");
    r.run(3999);
    expect(r.take()).toBe("ATE0\r");
    r.run(1);
    expect(r.take()).toBe("\r\nOK\r\n");
  });

  it("sends garbage lines before replies", () => {
    const faults = new ModemFaults({ seed: 5, garbageLineRate: 1 });
    const r = booted({ latency: INSTANT_LATENCY, faults: faults });
    r.send("ATE0\r");
    r.run(10);
    const out = r.take();
    expect(out.startsWith("ATE0\r\r\n")).toBe(true);
    expect(out.endsWith("\r\n\r\nOK\r\n")).toBe(true);
    expect(out.length).toBeGreaterThan("ATE0\r\r\nOK\r\n".length + 4);
    expect(faults.counts.garbageLines).toBe(1);
  });

  it("drops bytes, the same ones for the same seed", () => {
    const outs: string[] = [];
    for (let k = 0; k < 2; k++) {
      const faults = new ModemFaults({ seed: 42 });
      const r = booted({ latency: INSTANT_LATENCY, faults: faults });
      faults.dropByteRate = 0.3;
      for (let i = 0; i < 5; i++) r.send("AT+CSQ\r");
      r.run(10);
      outs.push(r.take());
      expect(r.modem.faults.counts.droppedBytes).toBeGreaterThan(0);
      expect(outs[k].length + r.modem.faults.counts.droppedBytes).toBe(
        5 * ("AT+CSQ\r".length + 20),
      );
    }
    expect(outs[0]).toBe(outs[1]);
  });

  it("drops the socket suddenly: CLOSED", () => {
    const peer = new FakePeer();
    const r = booted({ latency: INSTANT_LATENCY, tcp: peer });
    bringUp(r);
    at(r, 'AT+CIPSTART="TCP","h",1');
    expect(r.modem.dropConnection()).toBe(true);
    r.run(10);
    expect(r.take()).toBe("\r\nCLOSED\r\n");
    expect(peer.events).toBe(null);
  });

  it("reboots: boot lines again, echo back on, socket gone, SMS kept on the SIM", () => {
    const peer = new FakePeer();
    const r = booted({ latency: INSTANT_LATENCY, tcp: peer });
    bringUp(r);
    at(r, 'AT+CIPSTART="TCP","h",1');
    r.network.sendSms("+1", r.modem.number, "kept");
    r.run(r.network.smsDelayMs);
    r.modem.reboot();
    r.run(100);
    expect(r.take()).toBe(BOOT);
    expect(peer.events).toBe(null);
    expect(at(r, "AT")).toBe("AT\r\r\nOK\r\n");
    expect(at(r, "AT+CIPSTATUS")).toBe("AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: IP INITIAL\r\n");
    expect(r.modem.snapshot().storedSms).toBe(1);
    expect(r.modem.faults.counts.reboots).toBe(1);
  });

  it("schedules random reboots and socket drops from the seed", () => {
    const faults = new ModemFaults({ seed: 9, rebootMeanMs: 60000 });
    const r = booted({ latency: INSTANT_LATENCY, faults: faults });
    r.run(600000);
    expect(faults.counts.reboots).toBeGreaterThan(2);
    expect(r.take().split("RDY").length - 1).toBe(faults.counts.reboots);
  });
});
