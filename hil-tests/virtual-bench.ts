// The virtual bench: the real Espruino interpreters (espruino-puck for the tag, espruino-jolt for
// the home unit) on their own flash files, their consoles behind socat pseudo-terminals for the
// lab commands, the unit's SIM800 the simulator's with real TCP to a real broker (aedes), the
// radio between them the bench's air (tools/engines/bench-air.ts), and a relay board on a pty
// pair wired to the tag's strap loop and the unit's mains sense input — so the suite's steps
// drive it with exactly what they drive a real bench with.

import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningBroker } from "../simulator/broker/broker";
import { startEmbeddedBroker } from "../simulator/broker/embedded-broker";
import { BenchAir } from "../tools/engines/bench-air";
import { killEnginesIn, onEngineConsole } from "../tools/engines/engine-pty";
import { enginePath } from "../tools/engines/engines";
import { EspruinoBoard } from "../tools/engines/espruino-board";
import { HomeUnitBench, QUICK_SIM800 } from "../tools/engines/home-unit-bench";
import { TagBench } from "../tools/engines/tag-bench";
import type { Device, HilBench, LabRunner, TagFrame, VirtualInstruments } from "./bench";
import { VirtualRelayBoard } from "./testing/virtual-relay-board";

const ENGINE = { tag: "espruino-puck", unit: "espruino-jolt" } as const;
const STRAP_CHANNEL = 1;
const MAINS_CHANNEL = 2;

export class VirtualBench implements HilBench {
  readonly name = "virtual bench";
  readonly rootFile: string;
  readonly relay: HilBench["relay"];
  private tag: TagBench | null = null;
  private unit: HomeUnitBench | null = null;
  private air: BenchAir | null = null;

  private constructor(
    private readonly work: string,
    private readonly dirs: Record<Device, string>,
    private readonly broker: RunningBroker,
    private readonly board: VirtualRelayBoard,
    private readonly run: LabRunner,
    readonly tagId: number,
    readonly unitId: number,
    rootHex: string,
  ) {
    this.rootFile = join(work, "root");
    writeFileSync(this.rootFile, rootHex);
    this.relay = {
      port: board.fixturePort,
      strapChannel: STRAP_CHANNEL,
      mainsChannel: MAINS_CHANNEL,
    };
  }

  static async create(o: {
    work: string;
    tagId: number;
    unitId: number;
    rootHex: string;
    run: LabRunner;
  }): Promise<VirtualBench> {
    const dirs = {
      tag: mkdtempSync(join(o.work, "tag-")),
      unit: mkdtempSync(join(o.work, "unit-")),
    };
    // The unit connects over its modem's TLS, as a deployment's SHOULD (SPEC §13).
    const broker = await startEmbeddedBroker(undefined, { tls: true });
    let bench: VirtualBench | null = null;
    const board = await VirtualRelayBoard.open(o.work, (ch, energised) =>
      bench?.contact(ch, energised),
    );
    bench = new VirtualBench(o.work, dirs, broker, board, o.run, o.tagId, o.unitId, o.rootHex);
    return bench;
  }

  get centre(): HilBench["centre"] {
    return { url: this.broker.url };
  }

  get unitNetwork(): string[] {
    return [
      "--broker-host",
      "127.0.0.1",
      "--broker-port",
      String(this.broker.tlsPort),
      "--tls",
      "--centre",
      "+37129000000",
    ];
  }

  /** A lab command on the device's console; the virtual board is power-cycled and the command
   * run again if the engine's console trips (onEngineConsole), each attempt with its transcript. */
  lab(step: string, device: Device, args: (port: string) => string[]): Promise<number> {
    const engine = ENGINE[device];
    return onEngineConsole(this.dirs[device], enginePath(engine) ?? engine, (tty, attempt) =>
      this.run(attempt === 1 ? step : `${step}-attempt${attempt}`, args(tty)),
    );
  }

  /** The unit's bundle goes in as base.js, not .bootcde: the Linux engine boots .bootcde at
   * start-up, before the bench's stubs for the hardware it lacks (the SIM800 on Serial1, BLE)
   * exist, and segfaults on it. The bench boots base.js itself, stubs first. */
  bootFile(device: Device): string {
    return device === "tag" ? ".bootcde" : "base.js";
  }

  storedCrc(device: Device, name: string): number | null {
    return new EspruinoBoard(ENGINE[device], this.dirs[device]).storedCrc(name);
  }

  async boot(device: Device): Promise<void> {
    if (device === "tag") {
      this.tag ??= await TagBench.onBoard(this.dirs.tag);
      await this.tag.boot();
      if (this.board.energised[STRAP_CHANNEL]) this.tag.setLoop(false);
      return;
    }
    const tag = this.tag;
    if (tag === null)
      throw new Error("the virtual unit hears the tag on the bench's air: boot the tag first");
    if (this.unit === null) {
      this.unit = await HomeUnitBench.onBoard(this.dirs.unit, "base.js", {
        unitId: this.unitId,
        tagId: this.tagId,
        latency: QUICK_SIM800,
      });
      this.air = new BenchAir(tag, this.unit);
    }
    await this.unit.boot();
    if (this.board.energised[MAINS_CHANNEL]) this.unit.setMains(false);
  }

  get frames(): TagFrame[] {
    return this.tag?.adverts ?? [];
  }

  tail(device: Device): string {
    return (device === "tag" ? this.tag : this.unit)?.tail() ?? "";
  }

  get virtual(): VirtualInstruments | null {
    if (this.air === null || this.unit === null) return null;
    return { air: this.air, unit: this.unit };
  }

  /** The relay board's contacts, wired through normally-closed contacts as on a real bench: a
   * contact energised opens the strap loop or cuts the mains. A board that is not running when
   * it changes gets the state at its next boot. */
  private contact(channel: number, energised: boolean): void {
    if (channel === STRAP_CHANNEL && this.tag?.listening) this.tag.setLoop(!energised);
    if (channel === MAINS_CHANNEL && this.unit?.listening) this.unit.setMains(!energised);
  }

  async dispose(): Promise<void> {
    this.air?.stop();
    await this.unit?.dispose();
    await this.tag?.dispose();
    await this.board.close();
    await this.broker.stop();
    killEnginesIn(this.work);
  }
}
