// The home unit's way out, assembled: the SIM800 driver (firmware/base/modem) gives a TCP link,
// the MQTT client (firmware/base/mqtt) runs the session over it, and this file joins both to the
// app (base-app.ts): uplinks through MqttUplink, downlinks and SMS commands into the command
// processor, network time into the clock keeper, calls to the buzzer and the answer button —
// and the SMS fallback: when the broker has been out of reach for `smsAfterMs` while alarms
// wait, each alarm also goes to the centre as one SMS (SPEC §12). The alarm stays in the flash
// queue until a PUBACK: by SMS it arrives early, over MQTT it arrives for sure, and the centre
// sees one event (the same seq) either way.
//
// Device code (DEVICE-JS subset).

import { utf8Encode } from "@em-platform/protocol/core/bytes";
import { unitIdText } from "@em-platform/protocol/core/topics";
import type { Clock, DigitalInput, Indicator, Uart } from "../../hal/hal";
import type { BaseApp } from "../base-app";
import { SIM800 } from "../modem/dialect-sim800";
import type { ModemDialect } from "../modem/modem-dialect";
import { ModemDriver, type ModemTimings } from "../modem/modem-driver";
import { MqttClient, MqttState } from "../mqtt/mqtt-client";
import { MqttUplink } from "../mqtt/mqtt-uplink";

export interface UplinkConfig {
  brokerHost: string;
  brokerPort: number;
  apn: string;
  apnUser: string;
  apnPass: string;
  /** Where alarm SMS go, and the only senders whose SMS are read as commands. */
  centreNumbers: string[];
  /** Officers whose calls ring the unit (answered only by the subject's button press). */
  officerNumbers: string[];
  /** Broker out of reach this long with an alarm waiting → the alarm also goes by SMS. */
  smsAfterMs: number;
  keepAliveS: number;
  /** The unit's broker password; "" = none (SPEC §13, "Broker accounts"). */
  brokerPassword: string;
  /** Over the modem's TLS (SPEC §13). */
  tls: boolean;
}

/** 2 minutes: well inside NIJ's 3 minutes to the centre, past a routine MQTT reconnect. */
export const DEFAULT_SMS_AFTER_MS = 120000;
const CHECK_MS = 5000;
/** The ring pattern while an officer calls: the unit must be heard, never answer by itself. */
const RING = { led: true, buzzer: true, onMs: 1000, offMs: 1000, totalMs: 120000 };

export interface UplinkHardware {
  uart: Uart;
  clock: Clock;
  random: () => number;
  /** Power-cycles the modem (its PWRKEY / reset line), then calls done. */
  resetModem: (done: () => void) => void;
  indicator: Indicator;
  /** The subject's button (answers an officer's call, else acknowledges a notification); null on
   * a board without one. */
  button: DigitalInput | null;
  dialect?: ModemDialect;
  timings?: ModemTimings | null;
}

export class HomeUplink {
  readonly modem: ModemDriver;
  readonly mqtt: MqttClient;
  readonly transport: MqttUplink;
  readonly stats = { smsSent: 0, smsFailed: 0 };
  private app: BaseApp | null = null;
  private readonly clock: Clock;
  private readonly cfg: UplinkConfig;
  private offlineSince: number;
  private smsBusy = false;
  private checker = 0;

  constructor(hw: UplinkHardware, unitId: number, cfg: UplinkConfig) {
    this.clock = hw.clock;
    this.cfg = cfg;
    this.offlineSince = hw.clock.monotonic();
    this.modem = new ModemDriver({
      uart: hw.uart,
      clock: hw.clock,
      dialect: hw.dialect ? hw.dialect : SIM800,
      apn: cfg.apn,
      apnUser: cfg.apnUser,
      apnPass: cfg.apnPass,
      tls: cfg.tls,
      resetModem: hw.resetModem,
      random: hw.random,
      smsAllowed: cfg.centreNumbers,
      callersAllowed: cfg.officerNumbers,
      onTime: (utcMs) => {
        if (this.app !== null) this.app.onNetworkTime(Math.floor(utcMs / 1000));
      },
      onSms: (bytes) => {
        if (this.app !== null) this.app.onSmsDownlink(bytes);
      },
      ringing: (on) => {
        if (on) hw.indicator.signal(RING);
        else hw.indicator.off();
      },
      inCall: (on) => {
        if (on) hw.indicator.off();
      },
      onState: () => {},
      timings: hw.timings ? hw.timings : null,
    });
    this.mqtt = new MqttClient({
      link: this.modem.link,
      clock: hw.clock,
      random: hw.random,
      host: cfg.brokerHost,
      port: cfg.brokerPort,
      unitId: unitId,
      keepAliveS: cfg.keepAliveS,
      username: cfg.brokerPassword === "" ? undefined : unitIdText(unitId),
      password: cfg.brokerPassword === "" ? undefined : utf8Encode(cfg.brokerPassword),
    });
    this.transport = new MqttUplink(this.mqtt, unitId, this.modem);
    this.mqtt.onDownlink((payload) => {
      if (this.app !== null) this.app.onDownlink(payload);
    });
    this.mqtt.onStateChange((st) => {
      if (st === MqttState.online) {
        this.offlineSince = -1;
        if (this.app !== null) this.app.drain();
      } else if (this.offlineSince < 0) this.offlineSince = this.clock.monotonic();
    });
    // One button, two uses: it answers an officer's call while one rings, and otherwise
    // acknowledges a notification the centre showed the subject.
    if (hw.button !== null)
      hw.button.watch(50, (pressed) => {
        if (pressed && !this.modem.answerPressed() && this.app !== null) this.app.buttonPressed();
      });
  }

  /** The app exists only once its transport does, so it is attached after construction. */
  attach(app: BaseApp): void {
    this.app = app;
  }

  start(): void {
    this.modem.start();
    this.mqtt.start();
    this.checker = this.clock.setInterval(() => this.check(), CHECK_MS);
  }

  stop(): void {
    this.clock.clearInterval(this.checker);
    this.mqtt.stop();
    this.modem.stop();
  }

  /** Broker out of reach long enough, an alarm waiting, the network registered: one SMS. */
  private check(): void {
    const app = this.app;
    if (app === null || this.smsBusy || this.offlineSince < 0) return;
    if (this.clock.monotonic() - this.offlineSince < this.cfg.smsAfterMs) return;
    if (!this.modem.registered() || this.cfg.centreNumbers.length === 0) return;
    const a = app.smsAlarm();
    if (a === null) return;
    this.smsBusy = true;
    this.modem.sendSms(this.cfg.centreNumbers[0], a.envelope, (ok) => {
      this.smsBusy = false;
      if (ok) {
        this.stats.smsSent++;
        app.smsSent(a.seq);
      } else this.stats.smsFailed++;
    });
  }
}
