// A small world for the uplink path: homes (real firmware on virtual hardware and virtual
// modems) on one cellular network, a real broker, the centre's SMS gateway on that network, and
// the reference receiver — all on one VirtualClock that a TimePump drives from real time.
//
// Virtual time moves two ways. While the pump runs, virtual = real × speed, so real sockets and
// virtual timers interleave plausibly. fastForward() jumps ahead in steps while no modem's real
// socket is connecting or has just carried bytes (TrackedTcp), which turns an outage's hours,
// the modem's bring-up, backoff waits and idle keepalive periods into milliseconds without
// racing a real socket against a skipped timeout. Arrival stamps taken while fast-forwarding
// are coarse (a step); measure latencies with until(), which only lets the pump run.
//
// The accelerated world (`accelerated: true`, the embedded broker only) has no pump and no real
// sockets: every connection to the broker is an in-process stream pair (InProcessNet). Virtual
// time runs timer by timer as fast as the CPU allows and stops at the timer whose callback put
// bytes on a connection; the world then waits until the broker and everyone it forwarded to have
// answered (settle) and goes on at the same virtual instant. No real wait, no coarse stamps, and
// the order of everything is fixed by virtual time alone.

import { randomBytes } from "node:crypto";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { FakeClock } from "../../firmware/testing/fake-board";
import { VirtualClock } from "../../firmware/testing/virtual-clock";
import type { RunningBroker } from "../broker/broker";
import { unitBrokerPassword } from "../broker/broker-accounts";
import { ReferenceReceiver } from "../centre/reference-receiver";
import { Network } from "../modem/network";
import { SmsGateway } from "../modem/sms-gateway";
import { InProcessNet } from "./in-process-net";
import { TimePump } from "./time-pump";
import { type HomeOptions, VirtualHome } from "./virtual-home";

export interface UplinkWorldOptions {
  broker: RunningBroker;
  /** Fleet root secret (key version 1). */
  root: Uint8Array;
  /** Wall clock (UTC ms) at virtual time 0. */
  epochMs: number;
  /** Virtual ms per real ms while the pump runs. Default 20. */
  speed?: number;
  /** The accelerated world (see above). Needs a broker that takes in-process connections. */
  accelerated?: boolean;
  /** The centre's SMS number. Default "+37129000000". */
  centreNumber?: string;
  /** The broker enforces accounts (broker-accounts.ts): units log in with passwords derived
   * from `brokerSecret`, the receiver and the SMS gateway as CENTRE_ACCOUNTS. */
  brokerSecret?: Uint8Array;
  /** Units are provisioned for TLS and dial the broker's TLS port (a broker started with tls). */
  tls?: boolean;
  /** Where units dial instead of the broker itself: something in between (a test's tap). */
  unitRoute?: { host: string; port: number };
}

/** The centre's broker accounts in a world whose broker enforces accounts. */
export const CENTRE_ACCOUNTS = {
  receiver: { username: "em-centre", password: "centre-password-for-tests" },
  gateway: { username: "em-sms-gateway", password: "gateway-password-for-tests" },
};

export type HomeSpec = Omit<
  HomeOptions,
  "world" | "network" | "root" | "brokerHost" | "brokerPort" | "brokerPassword" | "centreNumbers"
>;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const nextTurn = () => new Promise<void>((r) => setImmediate(r));
/** The accelerated loop hands the event loop a turn at least this often (real ms), so the
 * centre's promises and real timers keep running while the world's own timers fill the CPU. */
const YIELD_MS = 20;

export class UplinkWorld {
  readonly clock: VirtualClock;
  readonly pump: TimePump;
  readonly network: Network;
  readonly keyring: FleetKeyring;
  readonly homes: VirtualHome[] = [];
  readonly centreNumber: string;
  private brokerSecret: Uint8Array | null = null;
  private tls = false;
  /** Where the units dial (the broker's plain or TLS port, or a unitRoute). */
  private route: { host: string; port: number } = { host: "", port: 0 };
  private constructor(
    readonly broker: RunningBroker,
    readonly gateway: SmsGateway,
    readonly receiver: ReferenceReceiver,
    private readonly root: Uint8Array,
    clock: VirtualClock,
    network: Network,
    speed: number,
    /** The accelerated world's network; null in the pumped one. */
    readonly net: InProcessNet | null,
  ) {
    this.clock = clock;
    this.network = network;
    this.pump = new TimePump(clock, speed);
    this.keyring = FleetKeyring.fromRoot(root, [1]);
    this.centreNumber = gateway.number;
  }

  static async start(o: UplinkWorldOptions): Promise<UplinkWorld> {
    // Refused before anything starts, so nothing is left running.
    if (o.tls && o.broker.tlsPort === undefined)
      throw new Error(
        `units set for TLS need a broker with a TLS port (${o.broker.name} has none)`,
      );
    const route = o.unitRoute ?? {
      host: o.broker.host,
      port: o.tls ? (o.broker.tlsPort as number) : o.broker.port,
    };
    const clock = new VirtualClock(o.epochMs);
    const network = new Network({ clock: new FakeClock(clock) });
    let net: InProcessNet | null = null;
    if (o.accelerated) {
      const attach = o.broker.attach?.bind(o.broker);
      if (attach === undefined)
        throw new Error(
          `the accelerated world needs the embedded broker (${o.broker.name} takes no in-process connections)`,
        );
      net = new InProcessNet(attach, o.broker.host, o.broker.port);
    }
    const dial = net === null ? undefined : net.dial.bind(net);
    const gateway = new SmsGateway({
      network: network,
      number: o.centreNumber ?? "+37129000000",
      brokerUrl: o.broker.url,
      dial: dial,
      clientId:
        o.brokerSecret === undefined
          ? "em-sms-gateway-" + randomBytes(4).toString("hex")
          : CENTRE_ACCOUNTS.gateway.username,
      password: o.brokerSecret === undefined ? undefined : CENTRE_ACCOUNTS.gateway.password,
    });
    await gateway.start();
    const receiver = await ReferenceReceiver.start({
      url: o.broker.url,
      dial: dial,
      keyring: FleetKeyring.fromRoot(o.root, [1]),
      clientId:
        o.brokerSecret === undefined
          ? "em-centre-" + randomBytes(4).toString("hex")
          : CENTRE_ACCOUNTS.receiver.username,
      password: o.brokerSecret === undefined ? undefined : CENTRE_ACCOUNTS.receiver.password,
      clock: () => clock.epochMs + clock.time,
    });
    const w = new UplinkWorld(
      o.broker,
      gateway,
      receiver,
      o.root,
      clock,
      network,
      o.speed ?? 20,
      net,
    );
    w.brokerSecret = o.brokerSecret ?? null;
    w.tls = o.tls === true;
    w.route = route;
    if (net === null) w.pump.start();
    return w;
  }

  addHome(spec: HomeSpec): VirtualHome {
    const h = new VirtualHome(
      Object.assign({}, spec, {
        world: this.clock,
        network: this.network,
        root: this.root,
        brokerHost: this.route.host,
        brokerPort: this.route.port,
        tls: this.tls,
        brokerPassword:
          this.brokerSecret === null
            ? undefined
            : unitBrokerPassword(this.brokerSecret, spec.unitId),
        centreNumbers: [this.centreNumber],
        tcp: this.net === null ? undefined : this.net.connector(),
      }),
    );
    this.homes.push(h);
    return h;
  }

  /** The world's wall clock (UTC ms). */
  nowMs(): number {
    return this.clock.epochMs + this.clock.time;
  }

  /** Waits in real time (the pump running) until pred holds; rejects after realMs. The
   * accelerated world has no real time to wait in: it runs on until pred holds. */
  until(pred: () => boolean, realMs: number, what: string): Promise<void> {
    if (this.net !== null) return this.accelerate(pred, Number.MAX_SAFE_INTEGER, realMs, what);
    return this.pump.until(pred, realMs, what);
  }

  /**
   * Until pred holds: skips virtual time in `stepMs` steps whenever no home can have real TCP in
   * flight, and lets the pump drive it otherwise. Rejects after maxVirtualMs of virtual time or
   * realMs of real time.
   */
  async fastForward(
    pred: () => boolean,
    maxVirtualMs: number,
    what: string,
    realMs = 20000,
    stepMs = 1000,
  ): Promise<void> {
    const endVirtual = this.clock.time + maxVirtualMs;
    const endReal = performance.now() + realMs;
    if (this.net !== null) return this.accelerate(pred, endVirtual, realMs, what, stepMs);
    while (!pred()) {
      if (this.clock.time > endVirtual)
        throw new Error("no " + what + " within " + maxVirtualMs + " ms of virtual time");
      if (performance.now() > endReal)
        throw new Error("no " + what + " within " + realMs + " ms of real time");
      if (this.homes.every((h) => !h.realIoPossible()) && !this.smsInFlight()) {
        this.pump.skip(stepMs);
        // Let socket callbacks that the step caused (a connect, a close) run.
        await new Promise<void>((r) => setImmediate(r));
      } else await sleep(2);
    }
  }

  /** The accelerated world's fastForward: timers run back to back; after one that put bytes on a
   * connection the world settles before the next (pred is checked then, and every stepMs). */
  private async accelerate(
    pred: () => boolean,
    endVirtual: number,
    realMs: number,
    what: string,
    stepMs = 1000,
  ): Promise<void> {
    const net = this.net as InProcessNet;
    const endReal = performance.now() + realMs;
    let yielded = performance.now();
    for (;;) {
      if (net.dirty) await net.settle();
      if (pred()) return;
      if (this.clock.time >= endVirtual)
        throw new Error("no " + what + " by the end of its virtual time");
      const now = performance.now();
      if (now > endReal) throw new Error("no " + what + " within " + realMs + " ms (real)");
      if (now - yielded > YIELD_MS) {
        await nextTurn();
        yielded = performance.now();
      }
      this.clock.runUntil(() => net.dirty, Math.min(stepMs, endVirtual - this.clock.time));
    }
  }

  /** An SMS the gateway took from the network has not reached the centre over MQTT yet: real
   * I/O, whose arrival stamp a skipped step would push minutes late. */
  private smsInFlight(): boolean {
    return this.gateway.received.length > this.receiver.smsMessages;
  }

  /** Lets virtual time pass (fast-forwarding where it safely can). */
  async runFor(virtualMs: number, realMs = 20000, stepMs = 1000): Promise<void> {
    const end = this.clock.time + virtualMs;
    if (this.net !== null)
      return this.accelerate(() => this.clock.time >= end, end, realMs, "time", stepMs);
    await this.fastForward(
      () => this.clock.time >= end,
      virtualMs + stepMs,
      "time",
      realMs,
      stepMs,
    );
  }

  async stop(): Promise<void> {
    this.pump.stop();
    for (const h of this.homes) h.modem.powerOff();
    await this.receiver.stop();
    await this.gateway.stop();
  }
}
