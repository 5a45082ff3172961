// A HIL bench, described by a JSON file (HIL_BENCH=<file>): which serial port each device's
// console is on (by stable id, /dev/serial/by-id/…), the relay fixture that opens the strap loop
// and cuts the unit's mains, the BLE adapter, the broker. Without a file the suite runs on the
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
  /** The unit's view of the broker (host and port it is provisioned with). */
  unitBroker: { host: string; port: number };
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
  const known = ["name", "tag", "unit", "broker", "unitBroker", "relay", "ble"];
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
  const config: BenchConfig = {
    name: str(d.name, "$.name"),
    tag: seat(d.tag, "$.tag"),
    unit: seat(d.unit, "$.unit"),
    broker: {
      url,
      username: b.username === undefined ? undefined : str(b.username, "$.broker.username"),
      password: b.password === undefined ? undefined : str(b.password, "$.broker.password"),
    },
    unitBroker: {
      host: str(ub.host, "$.unitBroker.host"),
      port: int(ub.port, "$.unitBroker.port", 1, 65535),
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
