// The lab's way into a provisioned unit's locked console, against the real interpreter: the
// console of espruino-jolt behind a pseudo-terminal (socat), locked as the unit's boot locks it
// (E.setPassword, E.lockConsole; base-main.ts, tested booting the shipped base.js in
// tools/engines/home-unit.engine.test.ts). Without the password, or with another unit's, a
// flash is refused as `locked` and writes nothing; with the unit's own it goes through.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ROOT as ROOT } from "../../firmware/testing/test-fleet";
import { killEnginesIn, ptyTo, stop } from "../engines/engine-pty";
import { enginePath, enginesMissing } from "../engines/engines";
import { EspruinoBoard } from "../engines/espruino-board";
import { socatMissing } from "../engines/serial-bridge";
import { LabError } from "./errors";
import { EspruinoSession, flashOver } from "./espruino";
import { closePort, openSerial } from "./link";
import { unitConsolePassword } from "./provision-records";

const why = enginesMissing(["espruino-jolt"]) ?? socatMissing();
if (why !== null) console.log("locked-console engine tests skipped: " + why);

describe.skipIf(why !== null)("a locked console on espruino-jolt over a pty", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "em-lab-unlock-"));
  });
  afterAll(() => {
    killEnginesIn(work);
    rmSync(work, { recursive: true, force: true });
  });

  it("refuses the lab without the unit's password, and lets it flash with it", async () => {
    const mine = unitConsolePassword(ROOT, 0xa11c);
    const other = unitConsolePassword(ROOT, 0xa11d);
    const dir = mkdtempSync(join(work, "board-"));
    // One connection throughout: closing the pty ends the Linux engine, as a USB console may
    // reset a board.
    const link = await ptyTo(dir, `EXEC:${enginePath("espruino-jolt")},pty,raw,echo=0`);
    const port = await openSerial(link.tty, 115200);
    try {
      const lock = new EspruinoSession(port, { timeouts: { hello: 10_000, line: 10_000 } });
      await lock.hello();
      await lock.run(`E.setPassword(${JSON.stringify(mine)}),E.lockConsole(),1`);

      const attempt = (password?: string) =>
        flashOver(port, "print(1);", {
          name: "t.js",
          password,
          timeouts: { hello: 5000, line: 10_000 },
        }).catch((e) => e);
      const none = await attempt();
      expect(none).toBeInstanceOf(LabError);
      expect((none as LabError).code).toBe("locked");
      const wrong = await attempt(other);
      expect((wrong as LabError).code).toBe("locked");
      expect((wrong as LabError).message).toMatch(/refused the password/);

      const r = await attempt(mine);
      expect(r).not.toBeInstanceOf(Error);
      expect(r.device.board).toBe("LINUX_JOLTLIKE");
    } finally {
      await closePort(port);
      await stop(link);
    }
    const board = new EspruinoBoard("espruino-jolt", dir);
    expect(board.storedCrc("t.js")).not.toBeNull();
  }, 120_000);
});
