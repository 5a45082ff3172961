// The relay fixture's exact bytes, and the same bytes through a real serial line: a socat pty
// pair, the driver on one end and the test reading the other as the board would.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { afterAll, describe, expect, it } from "vitest";
import { socatMissing } from "../tools/engines/serial-bridge";
import { RelayError, RelayFixture, relayFrame } from "./relay-fixture";
import { VirtualRelayBoard } from "./testing/virtual-relay-board";

const hex = (b: Buffer) => b.toString("hex").match(/../g)?.join(" ");

describe("relay fixture frames", () => {
  it("are A0, the channel, the state and their sum", () => {
    expect(hex(relayFrame(1, true))).toBe("a0 01 01 a2");
    expect(hex(relayFrame(1, false))).toBe("a0 01 00 a1");
    expect(hex(relayFrame(2, true))).toBe("a0 02 01 a3");
    expect(hex(relayFrame(8, false))).toBe("a0 08 00 a8");
  });

  it("refuse a channel the boards do not have", () => {
    for (const c of [0, 9, 1.5]) expect(() => relayFrame(c, true), String(c)).toThrow(RangeError);
  });
});

const why = socatMissing();
if (why !== null) console.log("relay fixture over a pty: skipped — " + why);

describe.skipIf(why !== null)("relay fixture over a pty", () => {
  const dir = mkdtempSync(join(tmpdir(), "em-relay-"));
  let socat: ChildProcess | null = null;
  afterAll(() => {
    socat?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("releases both contacts on open, then sends each switch as its frame, in order", async () => {
    const [fixtureEnd, boardEnd] = [join(dir, "fixture"), join(dir, "board")];
    socat = spawn("socat", [
      `pty,raw,echo=0,link=${fixtureEnd}`,
      `pty,raw,echo=0,link=${boardEnd}`,
    ]);
    for (let i = 0; i < 100 && !(existsSync(fixtureEnd) && existsSync(boardEnd)); i++)
      await new Promise((r) => setTimeout(r, 30));
    const board = new SerialPort({ path: boardEnd, baudRate: 9600 });
    const got: Buffer[] = [];
    board.on("data", (d: Buffer) => got.push(d));
    await new Promise<void>((r) => board.on("open", () => r()));
    const relay = await RelayFixture.open({ port: fixtureEnd, strapChannel: 1, mainsChannel: 2 });
    await relay.openStrap(true);
    await relay.cutMains(true);
    await relay.cutMains(false);
    await relay.close();
    const want = [
      relayFrame(1, false),
      relayFrame(2, false),
      relayFrame(1, true),
      relayFrame(2, true),
      relayFrame(2, false),
      relayFrame(1, false),
      relayFrame(2, false),
    ];
    const total = want.reduce((n, b) => n + b.length, 0);
    for (let i = 0; i < 100 && Buffer.concat(got).length < total; i++)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise<void>((r) => board.close(() => r()));
    expect(hex(Buffer.concat(got))).toBe(hex(Buffer.concat(want)));
  });

  it("the virtual bench's relay board: a contact reported when it changes, a garbled frame dropped", async () => {
    const changes: [number, boolean][] = [];
    const board = await VirtualRelayBoard.open(dir, (ch, on) => changes.push([ch, on]));
    try {
      const raw = new SerialPort({ path: board.fixturePort, baudRate: 9600 });
      await new Promise<void>((r) => raw.on("open", () => r()));
      const bytes = Buffer.concat([
        Buffer.from([0x55]), // line noise before a frame
        relayFrame(1, true),
        Buffer.from([0xa0, 1, 0, 0xa2]), // a wrong sum: ignored, as the board does
        relayFrame(1, true), // already energised: no click
        relayFrame(2, true),
      ]);
      await new Promise<void>((r) => raw.write(bytes, () => raw.drain(() => r())));
      await new Promise<void>((r) => raw.close(() => r()));
      // The suite's driver on the same line: open releases both, then the strap opens.
      const relay = await RelayFixture.open({
        port: board.fixturePort,
        strapChannel: 1,
        mainsChannel: 2,
      });
      await relay.openStrap(true);
      await relay.close();
      for (let i = 0; i < 100 && changes.length < 6; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(changes).toEqual([
        [1, true],
        [2, true],
        [1, false],
        [2, false],
        [1, true],
        [1, false],
      ]);
      expect(board.rejected).toBe(1);
    } finally {
      await board.close();
    }
  });

  it("a port that is not there is no-such-port", async () => {
    const e = await RelayFixture.open({
      port: join(dir, "nothing"),
      strapChannel: 1,
      mainsChannel: 2,
    }).catch((x) => x);
    expect(e).toBeInstanceOf(RelayError);
    expect((e as RelayError).code).toBe("no-such-port");
  });
});
