// Live advertisements from a Bluetooth adapter through noble (@stoprocent/noble, an optional
// dependency: it needs an adapter and, on Linux, HCI permissions). No noble, or no adapter ready
// within `readyMs`: a LabError "no-bluetooth" saying which — never a hang.

import type { Advert } from "../../../simulator/radio/advert-trace";
import { LabError } from "../errors";

/** The part of noble this uses. */
export interface NobleLike {
  state: string;
  on(event: "stateChange", fn: (state: string) => void): void;
  on(event: "discover", fn: (p: NoblePeripheral) => void): void;
  startScanningAsync(uuids: string[], allowDuplicates: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}

export interface NoblePeripheral {
  address: string;
  rssi: number;
  advertisement: { manufacturerData?: Uint8Array };
}

export type NobleLoader = () => Promise<NobleLike>;

const loadNoble: NobleLoader = async () => {
  // A variable specifier: the optional dependency is not resolved until a scan is asked for.
  const name = "@stoprocent/noble";
  const m = (await import(name)) as { default?: NobleLike } & NobleLike;
  return m.default ?? m;
};

export interface BleScanner {
  stop(): Promise<void>;
}

export async function startBleScan(
  onAdvert: (a: Advert) => void,
  readyMs = 5000,
  load: NobleLoader = loadNoble,
): Promise<BleScanner> {
  let noble: NobleLike;
  try {
    noble = await load();
  } catch (e) {
    throw new LabError(
      "no-bluetooth",
      `noble is not installed (optional dependency @stoprocent/noble): ${(e as Error).message}`,
    );
  }
  // noble may have settled before this listens (it starts probing when loaded): look first.
  const settled = (s: string) => s === "poweredOn" || s === "unsupported" || s === "unauthorized";
  const state = await new Promise<string>((resolve) => {
    if (settled(noble.state)) return resolve(noble.state);
    const timer = setTimeout(() => resolve(noble.state), readyMs);
    noble.on("stateChange", (s) => {
      if (settled(s)) {
        clearTimeout(timer);
        resolve(s);
      }
    });
  });
  if (state !== "poweredOn")
    throw new LabError(
      "no-bluetooth",
      `no Bluetooth adapter ready (noble says "${state}"; on Linux: an adapter, bluetoothd stopped or NOBLE_HCI_DEVICE_ID, and cap_net_raw)`,
    );
  const started = Date.now();
  noble.on("discover", (p) => {
    const m = p.advertisement.manufacturerData;
    if (m === undefined || m.length < 2) return;
    onAdvert({
      atMs: Date.now() - started,
      address: p.address,
      rssi: p.rssi,
      companyId: m[0] | (m[1] << 8),
      data: new Uint8Array(m.subarray(2)),
    });
  });
  await noble.startScanningAsync([], true);
  return { stop: () => noble.stopScanningAsync() };
}
