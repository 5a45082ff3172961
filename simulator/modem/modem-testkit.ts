// A virtual modem on virtual time with its UART output captured: what the modem tests (and
// simulator tests that want a ready-made modem) drive it with.

import { FakeClock } from "../../firmware/testing/fake-board";
import { VirtualClock } from "../../firmware/testing/virtual-clock";
import type { ModemFaults } from "./faults";
import type { ModemLatency } from "./latency";
import { Network } from "./network";
import type { TcpConnector } from "./tcp-connector";
import { VirtualModem } from "./virtual-modem";

export interface ModemRig {
  world: VirtualClock;
  clock: FakeClock;
  network: Network;
  modem: VirtualModem;
  /** Writes a string (latin-1) to the modem as the unit would. */
  send(text: string): void;
  /** Advances virtual time. */
  run(ms: number): void;
  /** Everything the modem sent since the last take(), as latin-1 text. */
  take(): string;
}

export interface RigOptions {
  latency?: Partial<ModemLatency>;
  faults?: ModemFaults;
  tcp?: TcpConnector;
  network?: Network;
  world?: VirtualClock;
  number?: string;
  area?: string | null;
}

/** 2024-10-27T04:30:15Z: the morning the EU leaves summer time, a good day for clock bugs. */
export const RIG_EPOCH = Date.UTC(2024, 9, 27, 4, 30, 15);

export function modemRig(o: RigOptions): ModemRig {
  const world = o.world ?? new VirtualClock(RIG_EPOCH);
  const clock = new FakeClock(world);
  const network = o.network ?? new Network({ clock: clock });
  const modem = new VirtualModem({
    clock: clock,
    network: network,
    number: o.number ?? "+37120000001",
    area: o.area === undefined ? "riga" : o.area,
    latency: o.latency,
    faults: o.faults,
    tcp: o.tcp,
  });
  let got = "";
  modem.uart.onData((chunk) => {
    for (let i = 0; i < chunk.length; i++) got += String.fromCharCode(chunk[i]);
  });
  return {
    world: world,
    clock: clock,
    network: network,
    modem: modem,
    send: (text) => {
      const b = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i) & 255;
      modem.uart.write(b);
    },
    run: (ms) => world.advance(ms),
    take: () => {
      const s = got;
      got = "";
      return s;
    },
  };
}
