// A HIL bench, described by a JSON file (HIL_BENCH=<file>): which serial port each device's
// console is on (by stable id, /dev/serial/by-id/…), the relay fixture that opens the strap loop
// and cuts the unit's mains, the BLE adapter, the broker, the test fleet's root. Without a file the suite runs on the
// virtual bench. Every error names the file, the JSON path and what was expected.

import { readFileSync } from "node:fs";
import { RELAY_CHANNELS } from "./relay-fixture";

export interface DeviceSeat {
  /** The console's serial port. */
  port: string;
  /** The device id it is (or will be) provisioned as. */
  id: number;
}

export interface BenchConfig {
  name: string;
  tag: DeviceSeat;
  unit: DeviceSeat;
  /** The broker the unit reaches and the suite watches (the centre's account, SPEC §13). */
  broker: { url: string; username?: string; password?: string };
  /** The bench fleet's root secret (32 raw bytes or 64 hex digits): the devices are provisioned
   * under it and the centre verifies with it. A test fleet's, never a production one. */
  rootFile: string;
  /** How the unit reaches the broker, as it is provisioned (`lab provision unit`): host and
   * port, the SIM's APN, the centre's SMS number, the file its broker password derives from,
   * and whether it connects over its modem's TLS (`port` then the broker's TLS listener). */
  unitBroker: {
    host: string;
    port: number;
    apn?: string;
    apnUser?: string;
    apnPass?: string;
    centre?: string;
    brokerSecretFile?: string;
    tls?: boolean;
  };
  /** The relay fixture: absent when the bench has none (those steps are skipped, saying so). */
  relay?: { port: string; strapChannel: number; mainsChannel: number };
  /** The BLE adapter noble uses (hciN); absent: the default one. */
  ble?: { hci: number };
}

export class BenchConfigError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${file}: ${path}: expected ${expected}`);
    this.name = "BenchConfigError";
  }
}

type Json = unknown;

export function parseBenchConfig(text: string, file: string): BenchConfig {
  const fail = (path: string, expected: string): never => {
    throw new BenchConfigError(file, path, expected);
  };
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch {
    return fail("$", "JSON");
  }
  const obj = (v: Json, path: string): Record<string, Json> =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? (v as Record<string, Json>)
      : fail(path, "an object");
  const str = (v: Json, path: string): string =>
    typeof v === "string" && v !== "" ? v : fail(path, "text");
  const int = (v: Json, path: string, lo: number, hi: number): number =>
    Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi
      ? (v as number)
      : fail(path, `a whole number from ${lo} to ${hi}`);
  const d = obj(doc, "$");
  const known = ["name", "tag", "unit", "broker", "rootFile", "unitBroker", "relay", "ble"];
  for (const k of Object.keys(d))
    if (!known.includes(k)) fail("$." + k, "one of " + known.join(", "));
  const seat = (v: Json, path: string): DeviceSeat => {
    const s = obj(v, path);
    return { port: str(s.port, path + ".port"), id: int(s.id, path + ".id", 1, 0xffffffff) };
  };
  const b = obj(d.broker, "$.broker");
  const url = str(b.url, "$.broker.url");
  if (!/^mqtts?:\/\/[^/]+$/.test(url)) fail("$.broker.url", "mqtt://host:port");
  const ub = obj(d.unitBroker, "$.unitBroker");
  const optStr = (v: Json, path: string): string | undefined =>
    v === undefined ? undefined : str(v, path);
  const ubKnown = [
    "host",
    "port",
    "apn",
    "apnUser",
    "apnPass",
    "centre",
    "brokerSecretFile",
    "tls",
  ];
  for (const k of Object.keys(ub))
    if (!ubKnown.includes(k)) fail("$.unitBroker." + k, "one of " + ubKnown.join(", "));
  const centre = optStr(ub.centre, "$.unitBroker.centre");
  if (centre !== undefined && !/^\+[0-9]{6,15}(,\+[0-9]{6,15})*$/.test(centre))
    fail("$.unitBroker.centre", "international numbers, comma-separated: +37129000000");
  if (ub.tls !== undefined && typeof ub.tls !== "boolean")
    fail("$.unitBroker.tls", "true or false");
  const config: BenchConfig = {
    name: str(d.name, "$.name"),
    tag: seat(d.tag, "$.tag"),
    unit: seat(d.unit, "$.unit"),
    broker: {
      url,
      username: optStr(b.username, "$.broker.username"),
      password: optStr(b.password, "$.broker.password"),
    },
    rootFile: str(d.rootFile, "$.rootFile"),
    unitBroker: {
      host: str(ub.host, "$.unitBroker.host"),
      port: int(ub.port, "$.unitBroker.port", 1, 65535),
      apn: optStr(ub.apn, "$.unitBroker.apn"),
      apnUser: optStr(ub.apnUser, "$.unitBroker.apnUser"),
      apnPass: optStr(ub.apnPass, "$.unitBroker.apnPass"),
      centre,
      brokerSecretFile: optStr(ub.brokerSecretFile, "$.unitBroker.brokerSecretFile"),
      tls: ub.tls === true,
    },
  };
  if (d.relay !== undefined) {
    const r = obj(d.relay, "$.relay");
    config.relay = {
      port: str(r.port, "$.relay.port"),
      strapChannel: int(r.strapChannel, "$.relay.strapChannel", 1, RELAY_CHANNELS),
      mainsChannel: int(r.mainsChannel, "$.relay.mainsChannel", 1, RELAY_CHANNELS),
    };
    if (config.relay.mainsChannel === config.relay.strapChannel)
      fail("$.relay.mainsChannel", "a channel other than the strap's");
  }
  if (d.ble !== undefined) config.ble = { hci: int(obj(d.ble, "$.ble").hci, "$.ble.hci", 0, 15) };
  if (config.tag.port === config.unit.port) fail("$.unit.port", "a port other than the tag's");
  return config;
}

/** The bench named by HIL_BENCH, or null: the virtual bench. */
export function benchFromEnv(env: NodeJS.ProcessEnv = process.env): BenchConfig | null {
  const file = env.HIL_BENCH;
  if (file === undefined || file === "") return null;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new BenchConfigError(file, "$", `a readable file (${(e as Error).message})`);
  }
  return parseBenchConfig(text, file);
}
