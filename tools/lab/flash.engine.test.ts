// `lab flash` over a real serial line into a real Espruino: espruino-puck's console behind a
// pseudo-terminal (socat), the shipped tag bundle uploaded with the upload protocol, verified
// by CRC, then read back by a separate engine run on the same flash. Also: a link killed
// mid-upload leaves no file under the final name and a retry succeeds; a pty answering
// garbage is "not an Espruino"; a missing port is "no such port". And `lab provision` over the
// same path: a tag into espruino-puck, its unit into espruino-jolt, read back by the firmware's
// own loaders, recorded and paired in the register; a device in service refused unwritten.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { fromHex, toHex } from "@em-platform/protocol/core/bytes";
import { deriveKey, KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadIdentity, loadNetworkConfig, loadPairing } from "../../firmware/base/base-records";
import type { Storage } from "../../firmware/hal/hal";
import { parseIdentity } from "../../firmware/tag/tag-storage";
import { killEnginesIn, onEngineConsole, ptyTo, stop } from "../engines/engine-pty";
import { enginePath, enginesMissing } from "../engines/engines";
import { EspruinoBoard } from "../engines/espruino-board";
import { socatMissing } from "../engines/serial-bridge";
import { buildShipped } from "../engines/shipped-bundles";
import { EXIT, LabError } from "./errors";
import { flashWithRetries } from "./flash-with-retries";
import { formatReport, main } from "./main";
import { DeviceRegister } from "./register/register";
import { captureStdout } from "./testing/capture-stdout";

const why = enginesMissing(["espruino-puck"]) ?? socatMissing();
if (why !== null) console.log("lab flash engine tests skipped: " + why);

const engineExec = () => `EXEC:${enginePath("espruino-puck")},pty,raw,echo=0`;

describe.skipIf(why !== null)("lab flash into espruino-puck over a pty", () => {
  let work: string;
  let tag: string;
  let want: number;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "em-lab-flash-"));
    tag = readFileSync(await buildShipped("tag", work), "latin1");
    want = crc32(Buffer.from(tag, "latin1")) | 0;
  });
  afterAll(() => {
    killEnginesIn(work);
    rmSync(work, { recursive: true, force: true });
  });

  it("flashes the shipped tag.js as .bootcde, verifies it, and Storage holds exactly it", async () => {
    const dir = mkdtempSync(join(work, "board-"));
    const link = await ptyTo(dir, engineExec());
    try {
      const r = await flashWithRetries(link.tty, tag, {
        name: ".bootcde",
        baudRate: 115200,
        retries: 0,
      });
      console.log(
        `flash + verify of tag.js at 115,200 baud over a pty: ${formatReport(r)}; ` +
          `the line's raw rate is 11,520 B/s`,
      );
      expect(r.crc | 0).toBe(want);
      expect(r.device.board).toBe("LINUX_PUCKLIKE");
      expect(r.device.version).toMatch(/^2v29/);
    } finally {
      await stop(link);
    }
    const board = new EspruinoBoard("espruino-puck", dir);
    expect(board.storedCrc(".bootcde")).toBe(want);
    expect(board.storedCrc(".bootcde~")).toBeNull();
  });

  it("a link killed mid-upload leaves nothing under the final name; a retry resumes and succeeds", async () => {
    const dir = mkdtempSync(join(work, "board-"));
    // The Linux engine's own input race (engine-pty.ts) can end a session before the cable is
    // pulled; that session is power-cycled and the upload tried again (it resumes), until the
    // cut happens mid-upload as this test means it to.
    let killed = false;
    let err: unknown = null;
    for (let attempt = 0; attempt < 3 && !killed; attempt++) {
      const first = await ptyTo(dir, engineExec());
      err = await flashWithRetries(first.tty, tag, {
        name: ".bootcde",
        baudRate: 115200,
        retries: 0,
        lineTimeout: 2000,
        onProgress: (written) => {
          if (!killed && written >= 4096) {
            killed = true;
            void stop(first, "SIGKILL"); // the cable pulled: socat and the engine behind it go
          }
        },
      }).catch((e) => e);
      await stop(first);
    }
    expect(killed).toBe(true);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe("upload-interrupted");
    const board = new EspruinoBoard("espruino-puck", dir);
    expect(board.storedCrc(".bootcde")).toBeNull();

    const second = await ptyTo(dir, engineExec());
    try {
      const r = await flashWithRetries(second.tty, tag, {
        name: ".bootcde",
        baudRate: 115200,
        retries: 1,
      });
      expect(r.crc | 0).toBe(want);
      // The chunks acknowledged before the cut were kept on the real device, not sent again.
      expect(r.kept).toBeGreaterThanOrEqual(3);
      expect(r.kept).toBeLessThan(r.chunks);
    } finally {
      await stop(second);
    }
    expect(board.storedCrc(".bootcde")).toBe(want);
    expect(board.storedCrc(".bootcde~")).toBeNull();
  });

  it('"not an Espruino" and "no such port" have their exit codes', async () => {
    const dir = mkdtempSync(join(work, "garbage-"));
    const link = await ptyTo(
      dir,
      `SYSTEM:while IFS= read -r l; do echo "ERROR 17"; done,pty,raw,echo=0`,
    );
    const tty = link.tty;
    try {
      const code = await main([
        "flash",
        tty,
        join(work, "tag.js"),
        "--retries",
        "0",
        "--timeout",
        "1000",
      ]);
      expect(code).toBe(EXIT["not-espruino"]);
    } finally {
      await stop(link);
    }
    expect(await main(["flash", join(dir, "no-such-tty"), join(work, "tag.js")])).toBe(
      EXIT["no-such-port"],
    );
  });
});

describe.skipIf(why !== null || enginesMissing(["espruino-jolt"]) !== null)(
  "lab provision into Espruino over a pty",
  () => {
    const ROOT_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const ROOT = fromHex(ROOT_HEX)!;
    const TAG = 0xc0ffee;
    const UNIT = 0xa11c;
    let work: string;
    let db: string;
    let rootFile: string;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), "em-lab-provision-"));
      db = join(work, "register.sqlite");
      rootFile = join(work, "root");
      writeFileSync(rootFile, ROOT_HEX);
      expect(await main(["register", "init", "--db", db])).toBe(0);
    });
    afterAll(() => {
      killEnginesIn(work);
      rmSync(work, { recursive: true, force: true });
    });

    /** A Storage file's bytes as the engine reads them. */
    const stored = (board: EspruinoBoard, name: string) => {
      const r = board.run(
        `print("B64 " + btoa(require("Storage").read(${JSON.stringify(name)})));`,
      );
      return new Uint8Array(Buffer.from(/B64 (\S+)/.exec(r.stdout)?.[1] ?? "", "base64"));
    };

    async function provisionOver(engine: "espruino-puck" | "espruino-jolt", args: string[]) {
      const dir = mkdtempSync(join(work, "board-"));
      let out = "";
      const code = await onEngineConsole(dir, enginePath(engine) ?? engine, async (tty) => {
        const r = await captureStdout(() =>
          main(["provision", ...args.slice(0, 1), tty, ...args.slice(1)]),
        );
        out += r.out;
        return r.value;
      });
      return { code, out, board: new EspruinoBoard(engine, dir) };
    }

    it("a tag and its unit: records verified in Storage, the firmware's loaders read the derived keys, the register pairs them", async () => {
      const common = ["--root-file", rootFile, "--db", db, "--firmware", "0.1.0", "--retries", "0"];
      const tag = await provisionOver("espruino-puck", ["tag", "--id", "0xc0ffee", ...common]);
      expect(tag.code, tag.out).toBe(0);
      expect(tag.out).not.toContain(ROOT_HEX);
      const id = parseIdentity(stored(tag.board, "em.id"));
      expect(id?.tagId).toBe(TAG);
      expect(toHex(id!.commandKey)).toBe(
        toHex(deriveKey(sha256, ROOT, KeyPurpose.tagCommand, TAG, 1)),
      );

      const unit = await provisionOver("espruino-jolt", [
        "unit",
        "--id",
        "0xa11c",
        "--tag",
        "0xc0ffee",
        "--broker-host",
        "broker.example",
        "--centre",
        "+37129000000",
        ...common,
      ]);
      expect(unit.code, unit.out).toBe(0);
      const files: Record<string, Uint8Array> = {};
      for (const n of ["em.unit", "em.pair", "em.net"]) files[n] = stored(unit.board, n);
      const st = { read: (n: string) => files[n] ?? null } as unknown as Storage;
      expect(toHex(loadIdentity(st)!.uplinkKey)).toBe(
        toHex(deriveKey(sha256, ROOT, KeyPurpose.unitUplink, UNIT, 1)),
      );
      expect(toHex(loadPairing(st)!.beaconKey)).toBe(
        toHex(deriveKey(sha256, ROOT, KeyPurpose.tagBeacon, TAG, 1)),
      );
      expect(loadNetworkConfig(st)).toMatchObject({
        brokerHost: "broker.example",
        centreNumbers: ["+37129000000"],
      });
      const reg = await DeviceRegister.open(db, { operator: "test" });
      expect(reg.get("unit", UNIT).pairedWith).toBe(TAG);
      expect(reg.get("tag", TAG).pairedWith).toBe(UNIT);
      // In service, the tag is refused before anything is written to it.
      reg.issue("tag", TAG, "RIGA/2026-0457", "working");
      reg.close();
      const again = await provisionOver("espruino-puck", [
        "tag",
        "--id",
        "0xc0ffee",
        "--key-version",
        "2",
        ...common,
      ]);
      expect(again.code).toBe(EXIT.refused);
      // A tag's records offered to a Jolt.js-class board: refused before anything is written.
      const wrong = await provisionOver("espruino-jolt", ["tag", "--id", "0xc0ffef", ...common]);
      expect(wrong.code).toBe(EXIT["wrong-board"]);
      expect(wrong.board.storedCrc("em.id")).toBeNull();
      expect(again.board.storedCrc("em.id")).toBeNull(); // a fresh board: nothing was written
    }, 120_000);
  },
);
