// The client's state machine against a scripted TcpLink under virtual time: the exact bytes it
// writes (hand-written MQTT 3.1.1 vectors), when it writes them, and what each failure leads to.

import { toHex, utf8Encode } from "@em-platform/protocol/core/bytes";
import { beforeEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../testing/fake-board";
import { ScriptedLink } from "../../testing/scripted-link";
import { VirtualClock } from "../../testing/virtual-clock";
import {
  ConnackCode,
  MQTT_STATE_NAMES,
  MqttClient,
  type MqttClientOptions,
  MqttFailure,
  MqttState,
} from "./mqtt-client";
import { MqttParseError } from "./mqtt-parser";
import { MqttUplink } from "./mqtt-uplink";

function hexOf(text: string): string {
  return toHex(utf8Encode(text));
}

const UNIT = 0x2a;
const STATUS = hexOf("em/v1/unit/0000002a/status");
const DOWN = hexOf("em/v1/unit/0000002a/down");
const UP = hexOf("em/v1/unit/0000002a/up");

// Keepalive 60 s; will: "offline", retained, QoS 1 (flags 0x2c); clean session 0.
const CONNECT = `1039${"00044d515454"}042c003c0008${hexOf("0000002a")}001a${STATUS}0007${hexOf("offline")}`;
const subscribe = (id: string) => `821d${id}0018${DOWN}01`;
const online = (id: string) => `3324001a${STATUS}${id}${hexOf("online")}`;
/** An uplink PUBLISH, QoS 1 (0x32; 0x3a with DUP), payload aabb: 2+22+2+2 = 28 = 0x1c. */
const uplink = (id: string, dup = false) => `${dup ? "3a" : "32"}1c0016${UP}${id}aabb`;
const CONNACK = "20 02 00 00";
const CONNACK_RESUMED = "20 02 01 00";
const PINGREQ = "c000";

interface World {
  vc: VirtualClock;
  clock: FakeClock;
  link: ScriptedLink;
  client: MqttClient;
  states: string[];
  downlinks: string[];
  rand: { value: number };
}

function world(extra: Partial<MqttClientOptions> = {}): World {
  const vc = new VirtualClock(1700000000000);
  const clock = new FakeClock(vc);
  const link = new ScriptedLink();
  const rand = { value: 0 };
  const client = new MqttClient({
    link: link,
    clock: clock,
    random: () => rand.value,
    host: "broker.example",
    port: 1883,
    unitId: UNIT,
    ...extra,
  });
  const w: World = { vc, clock, link, client, states: [], downlinks: [], rand };
  client.onStateChange((s) => {
    w.states.push(MQTT_STATE_NAMES[s]);
  });
  client.onDownlink((p) => {
    w.downlinks.push(toHex(p));
  });
  return w;
}

/** Start, CONNACK, SUBACK, the status PUBACK: online, ids 1 (SUBSCRIBE) and 2 (status) used. */
function goOnline(w: World): void {
  w.client.start();
  w.link.feed(CONNACK);
  w.link.feed("90 03 00 01 01");
  w.link.feed("40 02 00 02");
  w.link.take();
}

function publish(w: World, log: boolean[]): boolean {
  return w.client.publish("em/v1/unit/0000002a/up", new Uint8Array([0xaa, 0xbb]), 1, false, (a) => {
    log.push(a);
  });
}

describe("MqttClient: connecting", () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  it("CONNECT, then SUBSCRIBE and the retained 'online' after CONNACK, online after SUBACK", () => {
    w.client.start();
    expect(w.link.opens).toEqual(["broker.example:1883"]);
    expect(w.link.take()).toEqual([CONNECT]);
    expect(w.client.state()).toBe(MqttState.awaitingConnack);
    w.link.feed(CONNACK);
    expect(w.link.take()).toEqual([subscribe("0001"), online("0002")]);
    expect(w.client.state()).toBe(MqttState.subscribing);
    expect(w.client.canPublish()).toBe(false);
    w.link.feed("90 03 00 01 01");
    expect(w.client.state()).toBe(MqttState.online);
    expect(w.client.canPublish()).toBe(true);
    expect(w.states).toEqual(["connecting-tcp", "awaiting-connack", "subscribing", "online"]);
    // The status PUBACK settles it and is not counted against the window.
    w.link.feed("40 02 00 02");
    expect(w.client.stats.acked).toBe(1);
    expect(w.client.inFlightCount()).toBe(0);
  });

  it("CONNECT with user name and password", () => {
    const v = world({ username: "u", password: new Uint8Array([0x70]), keepAliveS: 10 });
    v.client.start();
    // 57 + 3 + 3 = 63 = 0x3f; flags 0xec = 0x2c | user 0x80 | password 0x40.
    expect(v.link.take()).toEqual([
      `103f00044d51545404ec000a0008${hexOf("0000002a")}001a${STATUS}0007${hexOf("offline")}000175000170`,
    ]);
  });

  it("a held TCP open: stays connecting-tcp, then proceeds", () => {
    w.link.openResult = null;
    w.client.start();
    expect(w.client.state()).toBe(MqttState.connectingTcp);
    expect(w.link.written).toEqual([]);
    w.link.answerOpen(true);
    expect(w.link.take()).toEqual([CONNECT]);
  });

  it("stop() while the TCP open is pending closes the late connection", () => {
    w.link.openResult = null;
    w.client.start();
    w.client.stop();
    expect(w.client.state()).toBe(MqttState.idle);
    w.link.answerOpen(true);
    expect(w.link.closes).toBe(1);
    expect(w.link.written).toEqual([]);
  });

  it("downlinks queued in the session arrive before SUBACK and are delivered", () => {
    w.client.start();
    w.link.feed(CONNACK_RESUMED);
    w.link.take();
    w.link.feed(`32 1f 0018 ${DOWN} 0007 0102 03`);
    expect(w.downlinks).toEqual(["010203"]);
    expect(w.link.take()).toEqual(["40020007"]);
    expect(w.client.stats.sessionsResumed).toBe(1);
  });
});

describe("MqttClient: failures and backoff", () => {
  it("TCP open failures back off exponentially with jitter, capped", () => {
    const w = world();
    w.link.openResult = false;
    w.rand.value = 0;
    w.client.start();
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      expect(w.client.state()).toBe(MqttState.backoff);
      delays.push(w.client.stats.lastBackoffMs);
      w.vc.advance(w.client.stats.lastBackoffMs);
    }
    // random() = 0: half of each step 2 s, 4 s, … capped at 300 s.
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 150000, 150000]);
    expect(w.link.opens.length).toBe(11);
    expect(w.client.stats.failures[MqttFailure.openFailed]).toBe(11);
    w.rand.value = 0.5;
    w.vc.advance(w.client.stats.lastBackoffMs);
    expect(w.client.stats.lastBackoffMs).toBe(225000);
  });

  it("no reconnect before the backoff delay has passed", () => {
    const w = world();
    w.link.openResult = false;
    w.rand.value = 0.5;
    w.client.start();
    expect(w.client.stats.lastBackoffMs).toBe(1500);
    w.vc.advance(1499);
    expect(w.link.opens.length).toBe(1);
    w.vc.advance(1);
    expect(w.link.opens.length).toBe(2);
  });

  it("CONNACK 'not authorized' waits the longest step; 'server unavailable' the normal one", () => {
    const w = world();
    w.client.start();
    w.link.feed("20 02 00 05");
    expect(w.client.state()).toBe(MqttState.backoff);
    expect(w.client.stats.lastFailure).toBe(MqttFailure.refused);
    expect(w.client.stats.lastFailureDetail).toBe(ConnackCode.notAuthorized);
    expect(w.client.stats.lastBackoffMs).toBe(150000);
    expect(w.link.closes).toBe(1);
    w.vc.advance(150000);
    w.link.feed("20 02 00 03");
    expect(w.client.stats.lastFailureDetail).toBe(ConnackCode.serverUnavailable);
    expect(w.client.stats.lastBackoffMs).toBe(2000);
  });

  it("SUBACK failure (0x80) is a typed failure", () => {
    const w = world();
    w.client.start();
    w.link.feed(CONNACK);
    w.link.feed("90 03 00 01 80");
    expect(w.client.stats.lastFailure).toBe(MqttFailure.subscribeRefused);
    expect(w.client.state()).toBe(MqttState.backoff);
  });

  it("no CONNACK within the handshake timeout", () => {
    const w = world();
    w.client.start();
    w.vc.advance(29999);
    expect(w.client.state()).toBe(MqttState.awaitingConnack);
    w.vc.advance(1);
    expect(w.client.stats.lastFailure).toBe(MqttFailure.handshakeTimeout);
    expect(w.link.closes).toBe(1);
  });

  it("malformed bytes from the broker drop the link", () => {
    const w = world();
    goOnline(w);
    w.link.feed("d0 00 f0 00");
    expect(w.client.stats.lastFailure).toBe(MqttFailure.protocolError);
    expect(w.client.stats.lastFailureDetail).toBe(MqttParseError.unknownType);
    expect(w.client.stats.pingResponses).toBe(1);
    expect(w.link.closes).toBe(1);
    w.vc.advance(w.client.stats.lastBackoffMs);
    expect(w.link.take()).toEqual([CONNECT]);
    w.link.feed(CONNACK);
    expect(w.client.state()).toBe(MqttState.subscribing);
  });

  it("a link dropped mid-packet: the next connection parses afresh", () => {
    const w = world();
    goOnline(w);
    w.link.feed("32 0a 00");
    w.link.drop();
    expect(w.client.stats.lastFailure).toBe(MqttFailure.linkClosed);
    w.vc.advance(w.client.stats.lastBackoffMs);
    w.link.feed(CONNACK);
    expect(w.client.state()).toBe(MqttState.subscribing);
  });

  it("a second CONNACK, or a PUBLISH before CONNACK, is a protocol error", () => {
    const w = world();
    goOnline(w);
    w.link.feed(CONNACK);
    expect(w.client.stats.lastFailure).toBe(MqttFailure.protocolError);
    const v = world();
    v.client.start();
    v.link.feed(`30 1b 0018 ${DOWN} 01`);
    expect(v.client.stats.lastFailure).toBe(MqttFailure.protocolError);
  });

  it("a write the link refuses ends the connection", () => {
    const w = world();
    goOnline(w);
    w.link.writeOk = false;
    const acks: boolean[] = [];
    publish(w, acks);
    expect(w.client.stats.lastFailure).toBe(MqttFailure.writeFailed);
    expect(w.client.state()).toBe(MqttState.backoff);
    expect(acks).toEqual([]);
  });

  it("backoff starts over after a connection that lasted a keepalive; not after a short one", () => {
    const w = world();
    w.link.openResult = false;
    w.client.start();
    w.vc.advance(1000);
    w.vc.advance(2000);
    w.link.openResult = true;
    w.vc.advance(4000);
    w.link.feed(CONNACK);
    w.link.feed("90 03 00 01 01");
    w.link.drop();
    expect(w.client.stats.lastBackoffMs).toBe(8000);
    w.vc.advance(8000);
    w.link.feed(CONNACK);
    w.link.feed("90 03 00 03 01");
    w.vc.advance(60000);
    w.link.feed("d0 00");
    w.link.drop();
    expect(w.client.stats.lastFailure).toBe(MqttFailure.linkClosed);
    expect(w.client.stats.lastBackoffMs).toBe(1000);
  });
});

describe("MqttClient: keepalive", () => {
  it("PINGREQ after keepalive seconds without sending; again after each idle keepalive", () => {
    const w = world();
    goOnline(w);
    w.vc.advance(59999);
    expect(w.link.take()).toEqual([]);
    w.vc.advance(1);
    expect(w.link.take()).toEqual([PINGREQ]);
    w.link.feed("d0 00");
    w.vc.advance(60000);
    expect(w.link.take()).toEqual([PINGREQ]);
    expect(w.client.stats.pingsSent).toBe(2);
  });

  it("a publish postpones the ping: the keepalive counts from the last packet sent", () => {
    const w = world();
    goOnline(w);
    w.vc.advance(40000);
    publish(w, []);
    w.link.feed("40 02 00 03");
    w.link.take();
    w.vc.advance(59999);
    expect(w.link.take()).toEqual([]);
    w.vc.advance(1);
    expect(w.link.take()).toEqual([PINGREQ]);
  });

  it("no PINGRESP: the link is dropped 1.5 keepalives after the last byte received", () => {
    const w = world();
    goOnline(w);
    w.vc.advance(60000);
    expect(w.link.take()).toEqual([PINGREQ]);
    w.vc.advance(29999);
    expect(w.client.state()).toBe(MqttState.online);
    w.vc.advance(1);
    expect(w.client.stats.lastFailure).toBe(MqttFailure.keepaliveTimeout);
    expect(w.client.state()).toBe(MqttState.backoff);
    expect(w.link.closes).toBe(1);
  });
});

describe("MqttClient: QoS 1 publishing", () => {
  it("PUBLISH bytes, done(true) once on PUBACK", () => {
    const w = world();
    goOnline(w);
    const acks: boolean[] = [];
    expect(publish(w, acks)).toBe(true);
    expect(w.link.take()).toEqual([uplink("0003")]);
    expect(w.client.inFlightCount()).toBe(1);
    w.link.feed("40 02 00 03");
    expect(acks).toEqual([true]);
    w.link.feed("40 02 00 03");
    expect(acks).toEqual([true]);
    expect(w.client.stats.strayAcks).toBe(1);
    expect(w.client.inFlightCount()).toBe(0);
  });

  it("the in-flight window: the fifth publish is refused until a PUBACK", () => {
    const w = world();
    goOnline(w);
    for (let i = 0; i < 4; i++) expect(publish(w, [])).toBe(true);
    expect(w.client.canPublish()).toBe(false);
    expect(publish(w, [])).toBe(false);
    w.link.feed("40 02 00 04");
    expect(w.client.canPublish()).toBe(true);
  });

  it("resent with DUP=1 after reconnect (§4.4), in order, acked afterwards", () => {
    const w = world();
    goOnline(w);
    const acks: boolean[] = [];
    publish(w, acks);
    publish(w, acks);
    w.link.take();
    w.link.drop();
    expect(w.client.state()).toBe(MqttState.backoff);
    expect(w.client.inFlightCount()).toBe(2);
    w.vc.advance(w.client.stats.lastBackoffMs);
    expect(w.link.take()).toEqual([CONNECT]);
    w.link.feed(CONNACK_RESUMED);
    // New ids skip the two still in flight (3, 4).
    expect(w.link.take()).toEqual([
      subscribe("0005"),
      online("0006"),
      uplink("0003", true),
      uplink("0004", true),
    ]);
    expect(w.client.stats.resentOnReconnect).toBe(2);
    w.link.feed("90 03 00 05 01");
    w.link.feed("40 02 00 04 40 02 00 03");
    expect(acks).toEqual([true, true]);
  });

  it("resent with DUP=1 when no PUBACK within the ack timeout", () => {
    const w = world({ ackTimeoutMs: 10000 });
    goOnline(w);
    const acks: boolean[] = [];
    publish(w, acks);
    w.link.take();
    w.vc.advance(9999);
    expect(w.link.take()).toEqual([]);
    w.vc.advance(1);
    // The status publish (id 2, sent at connect) timed out too.
    expect(w.link.take()).toEqual([uplink("0003", true)]);
    expect(w.client.stats.resentOnTimeout).toBe(1);
    w.link.feed("40 02 00 03");
    expect(acks).toEqual([true]);
  });

  it("packet ids run 1..65535, skip 0 and never reuse one in flight", () => {
    const w = world();
    goOnline(w);
    w.link.feed("40 02 00 02");
    const held: boolean[] = [];
    publish(w, held); // id 3, kept in flight
    w.link.take();
    const seen: number[] = [];
    for (let n = 0; n < 65536; n++) {
      publish(w, []);
      const h = w.link.take()[0];
      const id = parseInt(h.slice(4 + 4 + UP.length, 4 + 4 + UP.length + 4), 16);
      seen.push(id);
      w.link.feed(`40 02 ${h.slice(4 + 4 + UP.length, 4 + 4 + UP.length + 4)}`);
    }
    expect(seen.indexOf(0)).toBe(-1);
    expect(seen.indexOf(3)).toBe(-1);
    expect(seen.slice(65531, 65536)).toEqual([65535, 1, 2, 4, 5]);
    expect(held).toEqual([]);
  });

  it("QoS 0: no packet id, done once the link took the bytes", () => {
    const w = world();
    goOnline(w);
    const done: boolean[] = [];
    w.client.publish("a/b", new Uint8Array([1]), 0, false, (ok) => {
      done.push(ok);
    });
    expect(w.link.take()).toEqual(["30060003612f6201"]);
    expect(done).toEqual([true]);
  });
});

describe("MqttClient: downlinks", () => {
  it("QoS 1 on the down topic: delivered, then PUBACKed (after the callback)", () => {
    const w = world();
    goOnline(w);
    let writesSeenInCallback = -1;
    w.client.onDownlink((p) => {
      w.downlinks.push(toHex(p));
      writesSeenInCallback = w.link.written.length;
    });
    w.link.feed(`32 1e 0018 ${DOWN} 1234 beef`);
    expect(w.downlinks).toEqual(["beef"]);
    expect(writesSeenInCallback).toBe(0);
    expect(w.link.take()).toEqual(["40021234"]);
  });

  it("QoS 0 is delivered without PUBACK; a foreign topic is acked but not delivered", () => {
    const w = world();
    goOnline(w);
    w.link.feed(`30 1b 0018 ${DOWN} 01`);
    w.link.feed("32 06 00 01 78 00 09 02");
    expect(w.downlinks).toEqual(["01"]);
    expect(w.link.take()).toEqual(["40020009"]);
    expect(w.client.stats.foreignPublishes).toBe(1);
    expect(w.client.stats.downlinks).toBe(1);
  });
});

describe("MqttClient: stop", () => {
  it("online: 'offline' retained, DISCONNECT, link closed, in-flight done(false)", () => {
    const w = world();
    goOnline(w);
    const acks: boolean[] = [];
    publish(w, acks);
    w.link.take();
    w.client.stop();
    // QoS 0 retained (0x31): 2+26+7 = 35 = 0x23.
    expect(w.link.take()).toEqual([`3123001a${STATUS}${hexOf("offline")}`, "e000"]);
    expect(w.link.closes).toBe(1);
    expect(w.client.state()).toBe(MqttState.idle);
    expect(acks).toEqual([false]);
    expect(w.vc.pending()).toBe(0);
    w.vc.advance(600000);
    expect(w.link.opens.length).toBe(1);
  });

  it("in backoff: idle at once, no timer left", () => {
    const w = world();
    w.link.openResult = false;
    w.client.start();
    w.client.stop();
    expect(w.client.state()).toBe(MqttState.idle);
    expect(w.vc.pending()).toBe(0);
  });
});

describe("MqttUplink", () => {
  it("ready only online with room; envelopes go to /up at QoS 1; done only on PUBACK", () => {
    const w = world();
    const up = new MqttUplink(w.client, UNIT);
    expect(up.ready()).toBe(false);
    const results: boolean[] = [];
    up.send(new Uint8Array([0xaa, 0xbb]), (d) => {
      results.push(d);
    });
    expect(results).toEqual([false]);
    goOnline(w);
    expect(up.ready()).toBe(true);
    up.send(new Uint8Array([0xaa, 0xbb]), (d) => {
      results.push(d);
    });
    expect(w.link.take()).toEqual([uplink("0003")]);
    w.link.drop();
    expect(up.ready()).toBe(false);
    w.vc.advance(w.client.stats.lastBackoffMs);
    w.link.feed(CONNACK);
    w.link.feed("90 03 00 04 01");
    expect(results).toEqual([false]);
    w.link.feed("40 02 00 03");
    expect(results).toEqual([false, true]);
    expect(w.link.take()).toEqual([
      CONNECT,
      subscribe("0004"),
      online("0005"),
      uplink("0003", true),
    ]);
  });
});
