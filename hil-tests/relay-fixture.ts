// The bench's relay fixture: a USB serial relay board of the common CH340 "LCUS" kind (1, 2, 4 or
// 8 channels). Channel n switches on with the four bytes A0 n 01 (A1 + n) and off with A0 n 00
// (A0 + n) — the last byte is the sum of the first three, modulo 256 — at 9,600 baud; the board
// answers nothing, so the suite verifies a switch by its effect at the centre (strap_tamper,
// mains_lost). Wiring (hil-tests/README.md): the strap loop and the unit's mains run through the
// normally-closed contacts, so a fixture that is off, unplugged or left behind by a stopped
// suite leaves the strap whole and the mains on.

import { SerialPort } from "serialport";

export const RELAY_BAUD = 9600;
export const RELAY_CHANNELS = 8;

export class RelayError extends Error {
  constructor(
    readonly code: "no-such-port" | "port-busy" | "write-failed",
    message: string,
  ) {
    super(message);
    this.name = "RelayError";
  }
}

/** The frame that switches `channel` (1…8) on (energised: the contact opens) or off. */
export function relayFrame(channel: number, on: boolean): Buffer {
  if (!Number.isInteger(channel) || channel < 1 || channel > RELAY_CHANNELS)
    throw new RangeError(`relay channel ${channel}: 1…${RELAY_CHANNELS}`);
  const state = on ? 1 : 0;
  return Buffer.from([0xa0, channel, state, (0xa0 + channel + state) & 0xff]);
}

export class RelayFixture {
  private constructor(
    private readonly port: SerialPort,
    private readonly strapChannel: number,
    private readonly mainsChannel: number,
  ) {}

  /** Opens the fixture's port; both contacts are released (strap whole, mains on) first. */
  static async open(o: {
    port: string;
    strapChannel: number;
    mainsChannel: number;
  }): Promise<RelayFixture> {
    relayFrame(o.strapChannel, false);
    relayFrame(o.mainsChannel, false);
    const port = new SerialPort({ path: o.port, baudRate: RELAY_BAUD, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      port.open((e) => {
        if (!e) return resolve();
        const busy = /busy|lock/i.test(e.message);
        const missing = /no such file|ENOENT|cannot open/i.test(e.message);
        reject(
          new RelayError(
            busy ? "port-busy" : missing ? "no-such-port" : "write-failed",
            `relay fixture ${o.port}: ${e.message}`,
          ),
        );
      }),
    );
    const f = new RelayFixture(port, o.strapChannel, o.mainsChannel);
    await f.switch(o.strapChannel, false);
    await f.switch(o.mainsChannel, false);
    return f;
  }

  /** Opens (true) or closes the strap loop. */
  openStrap(open: boolean): Promise<void> {
    return this.switch(this.strapChannel, open);
  }

  /** Cuts (true) or restores the unit's mains. */
  cutMains(cut: boolean): Promise<void> {
    return this.switch(this.mainsChannel, cut);
  }

  /** Releases both contacts and closes the port. */
  async close(): Promise<void> {
    try {
      await this.switch(this.strapChannel, false);
      await this.switch(this.mainsChannel, false);
    } finally {
      await new Promise<void>((r) => this.port.close(() => r()));
    }
  }

  private switch(channel: number, on: boolean): Promise<void> {
    const frame = relayFrame(channel, on);
    return new Promise<void>((resolve, reject) => {
      this.port.write(frame, (e) => {
        if (e) return reject(new RelayError("write-failed", `relay fixture: ${e.message}`));
        this.port.drain((d) =>
          d ? reject(new RelayError("write-failed", `relay fixture: ${d.message}`)) : resolve(),
        );
      });
    });
  }
}
