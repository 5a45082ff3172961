// What the HIL suite drives, on either bench. Each step is written once against this: the same
// lab commands on the devices' console ports, the same relay fixture driver for the strap loop
// and the mains, the same centre on the bench's broker. What only the virtual bench can do — set
// the signal strength the unit hears, cut the unit's packet data, cut its power mid-queue and
// read its flash, see the GATT writes on air — is under `virtual`; a step that needs it on a
// real bench is skipped, saying what hardware it would need.

import type { BenchAir } from "../tools/engines/bench-air";
import type { HomeUnitBench } from "../tools/engines/home-unit-bench";

export type Device = "tag" | "unit";

/** Runs one lab command, its transcript kept under `step`; resolves with its exit code. */
export type LabRunner = (step: string, args: string[]) => Promise<number>;

/** A frame the tag put on air, as the bench heard it first. */
export interface TagFrame {
  /** Host clock (Date.now()). */
  atMs: number;
  company: number;
  /** The manufacturer data after the company id. */
  payload: Uint8Array;
  /** How often it repeats, where the bench knows (the virtual bench: the tag's own setting). */
  intervalMs?: number;
}

export interface HilBench {
  /** "virtual bench" or the config's name. */
  readonly name: string;
  readonly tagId: number;
  readonly unitId: number;
  /** The fleet root the bench's devices are provisioned under (a test fleet's, never a real one). */
  readonly rootFile: string;
  /** The broker the centre connects to, with the centre's account (SPEC §13). */
  readonly centre: { url: string; username?: string; password?: string };
  /** `lab provision unit` arguments for how the unit reaches the broker (host, port, APN, …). */
  readonly unitNetwork: string[];
  /** Runs a lab command against the device's console port; resolves with its exit code. */
  lab(step: string, device: Device, args: (port: string) => string[]): Promise<number>;
  /** The Storage file the device boots from, as it is flashed on this bench. */
  bootFile(device: Device): string;
  /** The CRC-32 of a Storage file read without the lab's help (the virtual board's flash
   * image); null where only the lab's own read-back can tell (a real board). */
  storedCrc(device: Device, name: string): number | null;
  /** Boots what was flashed and provisioned (a real board: `lab reset`). */
  boot(device: Device): Promise<void>;
  /** Every frame of the tag heard, in order; null: the bench has no ear on the air (no BLE
   * adapter described). */
  readonly frames: TagFrame[] | null;
  /** The relay fixture's port and channels; null: the bench has none. */
  readonly relay: { port: string; strapChannel: number; mainsChannel: number } | null;
  /** The device's console of late, for a timed-out step's message (empty where unseen). */
  tail(device: Device): string;
  readonly virtual: VirtualInstruments | null;
  dispose(): Promise<void>;
}

/** What only the virtual bench has. */
export interface VirtualInstruments {
  /** The radio: `rssi` the unit hears, `writes` the unit made to the tag. */
  readonly air: BenchAir;
  readonly unit: HomeUnitBench;
}

/** The lab arguments that open a device's console: the unit's is locked once it has booted
 * provisioned (an earlier run's, on a real bench), with the password its id derives from the
 * bench's fleet root; the tag has none. */
export function unlockArgs(bench: Pick<HilBench, "unitId" | "rootFile">, device: Device): string[] {
  return device === "unit" ? ["--unlock", String(bench.unitId), "--root-file", bench.rootFile] : [];
}
