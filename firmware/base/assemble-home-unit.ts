// The home unit, assembled in one place: the device (targets/espruino/base-main.ts), the
// simulator (simulator/world/virtual-home.ts) and the app's end-to-end test (base-app.test.ts)
// all call assembleHomeUnit, so none of them runs a unit the others do not. From the provisioned
// records in hal.storage: with an identity and a network record (em.net) it builds the GSM uplink
// (HomeUplink) on the modem's wiring, boots the app (bootBase), attaches and starts the uplink.
// Without an identity the app monitors nothing and says so; without a network record it monitors,
// queues in flash and says it cannot send.
//
// Device code (DEVICE-JS subset).

import { type BaseApp, type BaseHal, bootBase, type UplinkTransport } from "./base-app";
import { loadIdentity, loadNetworkConfig } from "./base-records";
import { DEFAULT_SMS_AFTER_MS, HomeUplink, type UplinkHardware } from "./uplink/home-uplink";

/** MQTT keep-alive of the unit's session (seconds). */
const KEEP_ALIVE_S = 60;

export interface HomeUnit {
  /** null when the unit is not provisioned (no identity). */
  app: BaseApp | null;
  /** null without a modem, a network record or an identity. */
  uplink: HomeUplink | null;
}

function notReady(): boolean {
  return false;
}

function refuse(_envelope: Uint8Array, done: (ok: boolean) => void): void {
  done(false);
}

/**
 * @param modem builds the modem's wiring, called only when there is an uplink to run (a unit
 *   without a network record sets up no UART, no button); null on a unit without a modem.
 * @param transport a transport in place of the uplink's (a test's centre without a modem); null
 *   on the device and in the simulator.
 */
export function assembleHomeUnit(
  hal: BaseHal,
  modem: (() => UplinkHardware) | null,
  transport: UplinkTransport | null,
  bootReason: number,
  log: (msg: string) => void,
): HomeUnit {
  let uplink: HomeUplink | null = null;
  let link = transport;
  if (link === null) {
    const net = loadNetworkConfig(hal.storage);
    const id = loadIdentity(hal.storage);
    if (net === null) log("EM home unit: no network record (em.net); events stay queued in flash");
    else if (id !== null && modem !== null) {
      uplink = new HomeUplink(modem(), id.unitId, {
        brokerHost: net.brokerHost,
        brokerPort: net.brokerPort,
        apn: net.apn,
        apnUser: net.apnUser,
        apnPass: net.apnPass,
        centreNumbers: net.centreNumbers,
        officerNumbers: net.officerNumbers,
        smsAfterMs: DEFAULT_SMS_AFTER_MS,
        keepAliveS: KEEP_ALIVE_S,
        brokerPassword: net.brokerPassword ? net.brokerPassword : "",
        tls: net.tls === true,
      });
      link = uplink.transport;
    }
  }
  if (link === null) link = { ready: notReady, send: refuse };
  const app = bootBase(hal, link, bootReason, log);
  if (app !== null && uplink !== null) {
    uplink.attach(app);
    uplink.start();
  }
  return { app: app, uplink: uplink };
}
