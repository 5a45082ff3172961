// The virtual bench's relay board: the far end of a pty pair (socat) whose near end the suite's
// RelayFixture opens exactly as it opens a real CH340 board, so the strap and mains steps drive
// the same driver, the same bytes and a real serial line on both benches. It decodes the board's
// frames (A0 n state sum, relay-fixture.ts) and reports a contact only when it changes, as a
// relay that is already released does not click again; a frame whose sum is wrong is dropped
// and counted, as the board ignores it.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { RELAY_BAUD, RELAY_CHANNELS } from "../relay-fixture";

export class VirtualRelayBoard {
  /** Frames dropped for a bad sum, channel or state. */
  rejected = 0;
  /** Each contact's state: true while energised (the normally-closed contact open). */
  readonly energised: boolean[] = new Array(RELAY_CHANNELS + 1).fill(false);
  private rx: number[] = [];

  private constructor(
    /** The port a RelayFixture opens. */
    readonly fixturePort: string,
    private readonly socat: ChildProcess,
    private readonly board: SerialPort,
    private readonly onChange: (channel: number, energised: boolean) => void,
  ) {
    board.on("data", (d: Buffer) => this.take(d));
  }

  static async open(
    dir: string,
    onChange: (channel: number, energised: boolean) => void,
  ): Promise<VirtualRelayBoard> {
    const [fixtureEnd, boardEnd] = [join(dir, "relay-fixture"), join(dir, "relay-board")];
    const socat = spawn("socat", [
      `pty,raw,echo=0,link=${fixtureEnd}`,
      `pty,raw,echo=0,link=${boardEnd}`,
    ]);
    for (let i = 0; i < 100 && !(existsSync(fixtureEnd) && existsSync(boardEnd)); i++)
      await new Promise((r) => setTimeout(r, 30));
    const board = new SerialPort({ path: boardEnd, baudRate: RELAY_BAUD, autoOpen: false });
    await new Promise<void>((res, rej) => board.open((e) => (e ? rej(e) : res())));
    return new VirtualRelayBoard(fixtureEnd, socat, board, onChange);
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.board.isOpen ? this.board.close(() => r()) : r()));
    this.socat.kill();
  }

  private take(d: Buffer): void {
    for (const b of d) this.rx.push(b);
    while (this.rx.length >= 4) {
      if (this.rx[0] !== 0xa0) {
        this.rx.shift();
        continue;
      }
      const [h, ch, state, sum] = this.rx;
      if (
        ((h + ch + state) & 0xff) !== sum ||
        ch < 1 ||
        ch > RELAY_CHANNELS ||
        (state !== 0 && state !== 1)
      ) {
        this.rejected++;
        this.rx.shift();
        continue;
      }
      this.rx.splice(0, 4);
      const on = state === 1;
      if (this.energised[ch] !== on) {
        this.energised[ch] = on;
        this.onChange(ch, on);
      }
    }
  }
}
