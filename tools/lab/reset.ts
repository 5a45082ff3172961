// Boots what was flashed: a hard reset from the console, as at power-on. After `flash` and
// `provision` a device still runs what it ran before; a lab (and the HIL suite on a real bench)
// resets it so that it boots the new `.bootcde` with its new records. `E.reboot()` is the
// nRF52's system reset — the same path as a battery put in — where `load()` would only restart
// the interpreter. A device with no boot file is refused before the reset, with nothing sent:
// a board that boots to an empty REPL is a unit that monitors nobody.

import { LabError } from "./errors";
import { type DeviceInfo, DLE, EspruinoSession, type SessionOptions } from "./espruino";
import type { PortLike } from "./link";

export interface ResetReport {
  device: DeviceInfo;
  /** The boot file's length and CRC-32, as the device reads them before the reset. */
  boot: { length: number; crc: number };
}

export async function resetOver(
  port: PortLike,
  opts: SessionOptions & { boards?: string[]; bootFile?: string } = {},
): Promise<ResetReport> {
  const s = new EspruinoSession(port, opts);
  try {
    const device = await s.hello(opts.boards);
    const name = opts.bootFile ?? ".bootcde";
    const boot = await s.fileInfo(name);
    if (boot === null)
      throw new LabError("failed", `nothing to boot: the device has no ${name} (flash it first)`);
    // No acknowledgement can come back: the device resets mid-line.
    await s.link.send(DLE + "E.reboot()\n");
    return { device, boot };
  } finally {
    await s.close();
  }
}
