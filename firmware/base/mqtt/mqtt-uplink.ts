// The app's UplinkTransport (base-app.ts) over the MQTT client: each envelope is one QoS 1
// PUBLISH to em/v1/unit/{id}/up, and done(true) comes only with its PUBACK, so events leave the
// flash queue only once the broker has them.
//
// When the link drops before the PUBACK, the client keeps the encoded PUBLISH and sends it again,
// DUP=1, after the reconnect; done(true) comes with that PUBACK. It does not answer done(false)
// so that the app re-sends from its queue, because that re-send would be a *new* envelope (a new
// frame counter, maybe a different batch) carrying the same events: the centre would see the
// events twice under two counters. Retransmitting keeps every duplicate a redelivery of the same
// envelope (same counter and MAC: SPEC §3's "duplicate", ignored silently), and the events still
// stay in flash until the PUBACK — after a reboot they go again in a new envelope and the centre
// dedupes them by sequence number (SPEC §7). done(false) happens only when the client is
// stopped, or at once when the client refuses the publish (not online, window full).
//
// Device code (DEVICE-JS subset).

import { uplinkTopic } from "@em-platform/protocol/core/topics";
import type { UplinkTransport } from "../base-app";
import type { MqttClient } from "./mqtt-client";

/** Where the heartbeat's signal quality comes from: the modem driver's last AT+CSQ. */
export interface SignalSource {
  /** CSQ rssi 0–31, 99 unknown (27.007 §8.5; SPEC §9 heartbeat key 9). */
  readonly csq: number;
}

export class MqttUplink implements UplinkTransport {
  private readonly client: MqttClient;
  private readonly topic: string;
  private readonly modem: SignalSource | null;

  constructor(client: MqttClient, unitId: number, modem?: SignalSource) {
    this.client = client;
    this.topic = uplinkTopic(unitId);
    this.modem = modem ? modem : null;
  }

  signal(): number {
    return this.modem !== null ? this.modem.csq : 99;
  }

  /** Online, with room in the client's in-flight window. */
  ready(): boolean {
    return this.client.canPublish();
  }

  send(envelope: Uint8Array, done: (delivered: boolean) => void): void {
    if (!this.client.publish(this.topic, envelope, 1, false, done)) done(false);
  }
}
