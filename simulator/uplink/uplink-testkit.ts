// Shared by the uplink integration tests: the fleet root, the start date, one suite per broker
// (aedes always; Mosquitto when installed), a world per test, and the waits every test needs.

import { fromHex } from "@em-platform/protocol/core/bytes";
import { afterEach, beforeEach, describe } from "vitest";
import { MqttState } from "../../firmware/base/mqtt/mqtt-client";
import type { RunningBroker } from "../broker/broker";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { mosquittoPath, sayMosquittoSkipped, startMosquitto } from "../broker/mosquitto-broker";
import { type HomeSpec, UplinkWorld } from "../world/uplink-world";
import type { VirtualHome } from "../world/virtual-home";

export const ROOT = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")!;
/** Monday 2026-11-23 08:00 UTC. */
export const EPOCH_MS = Date.UTC(2026, 10, 23, 8, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export type BrokerStart = () => Promise<RunningBroker>;

/** Runs `body` once per broker: the embedded aedes, and Mosquitto when it is installed. */
export function forEachBroker(name: string, body: (start: BrokerStart) => void): void {
  describe(name + " (aedes)", () => body(startEmbeddedBroker));
  if (mosquittoPath() !== null)
    describe(name + " (mosquitto)", () =>
      body(async () => {
        const b = await startMosquitto();
        if (b === null) throw new Error("mosquitto vanished");
        return b;
      }),
    );
  else {
    sayMosquittoSkipped(name);
    describe.skip(name + " (mosquitto not installed)", () => {});
  }
}

export interface WorldContext {
  broker: RunningBroker;
  w: UplinkWorld;
}

/** A fresh broker and world for every test of the suite, stopped after it; read them in the test. */
export function worldPerTest(start: BrokerStart, speed = 20): WorldContext {
  const ctx = {} as WorldContext;
  beforeEach(async () => {
    ctx.broker = await start();
    ctx.w = await startWorld(ctx.broker, speed);
  });
  afterEach(async () => {
    await ctx.w.stop();
    await ctx.broker.stop();
  });
  return ctx;
}

export async function startWorld(broker: RunningBroker, speed = 20): Promise<UplinkWorld> {
  return UplinkWorld.start({ broker: broker, root: ROOT, epochMs: EPOCH_MS, speed: speed });
}

/** The home's MQTT session is up and the centre has seen its "online". */
export function isOnline(w: UplinkWorld, h: VirtualHome): boolean {
  const s = w.receiver.status(h.unitId);
  return h.uplink.mqtt.state() === MqttState.online && s !== null && s.status === "online";
}

/** Nothing left in the unit's flash queue and nothing in flight. */
export function drained(h: VirtualHome): boolean {
  return h.app.queue.stats().pending === 0;
}

/**
 * Waits for the unit's link to drop (virtual time, skipped) and then for the centre to see its
 * last will. The will is the broker's doing in real time (Mosquitto is another process), so that
 * second wait lets the pump run instead of skipping virtual time, which a busy machine's broker
 * cannot keep up with (skipping, a minute of virtual time passed in a few real milliseconds).
 * Returns the world's wall clock when the unit itself lost the broker.
 */
export async function wentOffline(w: UplinkWorld, h: VirtualHome): Promise<number> {
  await w.fastForward(() => h.uplink.mqtt.state() !== MqttState.online, MINUTE, "link down");
  const lostAt = w.nowMs();
  await w.until(() => w.receiver.status(h.unitId)?.status === "offline", 20_000, "last will");
  return lostAt;
}

/** A home added and brought online, its boot events delivered. */
export async function onlineHome(w: UplinkWorld, spec: HomeSpec): Promise<VirtualHome> {
  const h = w.addHome(spec);
  await w.fastForward(() => isOnline(w, h) && drained(h), 5 * MINUTE, "unit online");
  return h;
}

/** Mains flickering every `everyMs` (a brown-out storm: a debounced event pair per flicker),
 * from now until the returned function is called, which also leaves mains on. */
export function flickerMains(w: UplinkWorld, h: VirtualHome, everyMs: number): () => void {
  const id = w.clock.schedule(() => h.setMains(!h.unitHw.mains.level), everyMs, everyMs);
  return () => {
    w.clock.cancel(id);
    h.setMains(true);
  };
}
