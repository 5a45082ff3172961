// The SMS gateway the monitoring centre rents: a number on the virtual network whose incoming
// SMS are published to MQTT as JSON {"from","text","at"} on em/v1/sms/in (SPEC §13), and which
// can send SMS (commands, tests) to any unit's number. `at` is the network's receive time, ISO
// 8601 UTC, from the network clock (virtual time stays deterministic).

import type { Duplex } from "node:stream";
import { SMS_IN_TOPIC } from "@em-platform/protocol/core/topics";
import type { MqttClient } from "mqtt";
import { connectMqttAsync } from "../broker/mqtt-connect";
import type { Network, NetworkEndpoint, VoiceCall } from "./network";

export interface SmsGatewayOptions {
  network: Network;
  /** The gateway's own number (the centre number units send alarms to). */
  number: string;
  /** e.g. "mqtt://127.0.0.1:1883". Omit to keep messages only in `received`. */
  brokerUrl?: string;
  /** Connect through this instead of `brokerUrl` (the accelerated world's in-process network). */
  dial?: () => Duplex;
  /** Default SMS_IN_TOPIC. */
  topic?: string;
  clientId?: string;
  /** The gateway's broker password (its user name is its client id); none by default. */
  password?: string;
}

export interface GatewaySms {
  from: string;
  text: string;
  at: string;
}

export class SmsGateway implements NetworkEndpoint {
  readonly number: string;
  readonly topic: string;
  readonly received: GatewaySms[] = [];
  private readonly network: Network;
  private readonly brokerUrl: string;
  private readonly dial: (() => Duplex) | undefined;
  private readonly clientId: string;
  private readonly password: string | undefined;
  private client: MqttClient | null = null;

  constructor(o: SmsGatewayOptions) {
    this.number = o.number;
    this.network = o.network;
    this.topic = o.topic ?? SMS_IN_TOPIC;
    this.brokerUrl = o.brokerUrl ?? "";
    this.dial = o.dial;
    this.clientId = o.clientId ?? "sms-gateway-" + o.number.replace(/[^0-9]/g, "");
    this.password = o.password;
    o.network.attach(this, null);
  }

  /** Connects to the broker (when one was given). Messages received before are published then. */
  async start(): Promise<void> {
    if ((this.brokerUrl === "" && this.dial === undefined) || this.client !== null) return;
    this.client = await connectMqttAsync(this.dial ?? this.brokerUrl, {
      clientId: this.clientId,
      username: this.password === undefined ? undefined : this.clientId,
      password: this.password,
      reconnectPeriod: 1000,
    });
    for (let i = 0; i < this.received.length; i++) this.publish(this.received[i]);
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c !== null) await c.endAsync();
  }

  /** Sends an SMS to a unit (it gets +CMTI). false when the number is not on the network. */
  sendTo(unitNumber: string, text: string, from?: string): boolean {
    return this.network.sendSms(from ?? this.number, unitNumber, text);
  }

  deliverSms(from: string, text: string): boolean {
    const m: GatewaySms = {
      from: from,
      text: text,
      at: new Date(this.network.clock.now()).toISOString(),
    };
    this.received.push(m);
    this.publish(m);
    return true;
  }

  incomingCall(_call: VoiceCall): boolean {
    return false;
  }

  networkChanged(): void {}

  private publish(m: GatewaySms): void {
    if (this.client === null) return;
    this.client.publish(this.topic, JSON.stringify({ from: m.from, text: m.text, at: m.at }), {
      qos: 1,
    });
  }
}
