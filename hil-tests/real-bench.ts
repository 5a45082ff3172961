// A real bench, as its config describes it (bench-config.ts): the lab commands on the devices'
// console ports, the boards booted by `lab reset`, the centre on the bench's broker, the tag's
// frames heard through the bench's BLE adapter (noble, as `lab sniff`), the strap loop and the
// mains through the relay fixture. It has no `virtual` instruments: the suite skips, saying what
// hardware each would need, the steps that use them.

import { existsSync } from "node:fs";
import { BOARDS } from "../tools/lab/espruino";
import { type BleScanner, startBleScan } from "../tools/lab/sniff/ble-scan";
import { type Device, type HilBench, type LabRunner, type TagFrame, unlockArgs } from "./bench";
import type { BenchConfig } from "./bench-config";

/** A bench whose config names ports or files that are not there: every one missing, at once,
 * before anything is touched — a half-attached bench is reported, not half-run. */
export class BenchNotAttachedError extends Error {
  constructor(
    readonly bench: string,
    readonly missing: string[],
  ) {
    super(`bench ${bench} is not all there: ${missing.join("; ")}`);
    this.name = "BenchNotAttachedError";
  }
}

export class RealBench implements HilBench {
  readonly virtual = null;
  readonly frames: TagFrame[] | null;
  private scanner: BleScanner | null = null;

  private constructor(
    private readonly config: BenchConfig,
    private readonly run: LabRunner,
  ) {
    this.frames = config.ble === undefined ? null : [];
  }

  /** Opens the bench; with a BLE adapter configured, listens for frames that `isTag` accepts
   * (the suite's check: the tag's id under the bench fleet's key), each kept when first heard. */
  static async open(
    config: BenchConfig,
    run: LabRunner,
    isTag: (company: number, payload: Uint8Array) => boolean,
  ): Promise<RealBench> {
    const wanted: [string, string | undefined][] = [
      ["the tag's console", config.tag.port],
      ["the unit's console", config.unit.port],
      ["the relay fixture", config.relay?.port],
      ["the fleet root file", config.rootFile],
      ["the broker secret file", config.unitBroker.brokerSecretFile],
    ];
    const missing = wanted
      .filter(([, path]) => path !== undefined && !existsSync(path))
      .map(([what, path]) => `${what} ${path} is missing`);
    if (missing.length > 0) throw new BenchNotAttachedError(config.name, missing);
    const b = new RealBench(config, run);
    const frames = b.frames;
    if (config.ble !== undefined && frames !== null) {
      process.env.NOBLE_HCI_DEVICE_ID = String(config.ble.hci);
      b.scanner = await startBleScan((a) => {
        if (!isTag(a.companyId, a.data)) return;
        const last = frames[frames.length - 1];
        if (last !== undefined && Buffer.from(last.payload).equals(Buffer.from(a.data))) return;
        frames.push({ atMs: Date.now(), company: a.companyId, payload: a.data });
      });
    }
    return b;
  }

  get name(): string {
    return this.config.name;
  }
  get tagId(): number {
    return this.config.tag.id;
  }
  get unitId(): number {
    return this.config.unit.id;
  }
  get rootFile(): string {
    return this.config.rootFile;
  }
  get centre(): HilBench["centre"] {
    return this.config.broker;
  }
  get relay(): HilBench["relay"] {
    return this.config.relay ?? null;
  }

  get unitNetwork(): string[] {
    const u = this.config.unitBroker;
    const opt = (flag: string, v: string | undefined) => (v === undefined ? [] : [flag, v]);
    return [
      "--broker-host",
      u.host,
      "--broker-port",
      String(u.port),
      ...opt("--apn", u.apn),
      ...opt("--apn-user", u.apnUser),
      ...opt("--apn-pass", u.apnPass),
      ...opt("--centre", u.centre),
      ...opt("--broker-secret-file", u.brokerSecretFile),
      ...(u.tls ? ["--tls"] : []),
    ];
  }

  lab(step: string, device: Device, args: (port: string) => string[]): Promise<number> {
    return this.run(step, args(this.config[device].port));
  }

  bootFile(): string {
    return ".bootcde";
  }

  storedCrc(): null {
    return null;
  }

  async boot(device: Device): Promise<void> {
    const port = this.config[device].port;
    const board = BOARDS[device].join(",");
    const unlock = unlockArgs(this, device);
    const code = await this.run(`reset-${device}`, ["reset", port, "--board", board, ...unlock]);
    if (code !== 0) throw new Error(`lab reset ${port} (the ${device}) exited ${code}`);
  }

  tail(): string {
    return "";
  }

  async dispose(): Promise<void> {
    await this.scanner?.stop();
  }
}
