// A board's UART on the virtual bench: a fresh pseudo-terminal (socat) whose other end is a local
// TCP socket the bench holds. The engine opens the pty as its Serial1/Serial2 (`{ path }`).
//
// Why socat bridges each pty to a local TCP socket rather than Node opening the pty itself:
// Node has no pty API without a native addon, a pty read through fs streams blocks a libuv
// thread and cannot be cancelled, and the socket gives open/close events for free. The engine
// sees a real tty either way. Each boot gets fresh ptys, so a killed interpreter's unread bytes
// die with it, as they would in a real UART's FIFO at a power cut.

import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import net from "node:net";
import { join } from "node:path";

/** The bench's end of one UART: what arrives goes to `onData`; `socket` writes to the board. */
export interface SerialBridge {
  server: net.Server;
  port: number;
  socket: net.Socket | null;
  onData: (b: Buffer) => void;
}

export async function serialBridge(onData: (b: Buffer) => void = () => {}): Promise<SerialBridge> {
  const b: SerialBridge = { server: net.createServer(), port: 0, socket: null, onData };
  b.server.on("connection", (s) => {
    s.setNoDelay(true);
    b.socket?.destroy();
    b.socket = s;
    s.on("data", (d) => b.onData(d));
    s.on("error", () => {});
    s.on("close", () => {
      if (b.socket === s) b.socket = null;
    });
  });
  await new Promise<void>((r) => b.server.listen(0, "127.0.0.1", () => r()));
  b.port = (b.server.address() as net.AddressInfo).port;
  return b;
}

/** Line by line: `onLine` gets each line the board sends, without its "\n". */
export function lines(onLine: (line: string) => void): (b: Buffer) => void {
  let buf = "";
  return (d) => {
    buf += d.toString("latin1");
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      onLine(line);
    }
  };
}

/** socat: a fresh pty (raw, no echo) bridged to the bridge's TCP port; resolves with the pty's path. */
export async function ptyToBridge(b: SerialBridge): Promise<{ proc: ChildProcess; path: string }> {
  b.socket?.destroy(); // the last boot's pty, if its close is still under way
  b.socket = null;
  const proc = spawn("socat", ["-d", "-d", "pty,raw,echo=0", "tcp:127.0.0.1:" + b.port], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  const path = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => rej(new Error("socat gave no pty: " + err)), 5000);
    proc.stderr?.on("data", (d) => {
      err += d;
      const m = /PTY is (\S+)/.exec(err);
      if (m) {
        clearTimeout(t);
        res(m[1]);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(t);
      rej(new Error("socat exited (" + code + "): " + err));
    });
  });
  // The TCP leg is connected once the bridge sees the socket.
  const until = Date.now() + 5000;
  while (b.socket === null && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  if (b.socket === null) throw new Error("socat did not connect to the bench: " + err);
  return { proc, path };
}

/** Stops socat processes (SIGTERM) and waits for them. */
export async function stopSocats(all: ChildProcess[]): Promise<void> {
  await Promise.all(
    all.splice(0).map(
      (c) =>
        new Promise<void>((res) => {
          if (c.exitCode !== null || c.signalCode !== null) return res();
          c.once("exit", () => res());
          c.kill("SIGTERM");
        }),
    ),
  );
}

export async function closeBridge(b: SerialBridge): Promise<void> {
  b.socket?.destroy();
  await new Promise<void>((r) => b.server.close(() => r()));
}

/** Whether socat (the pty pairs) is installed; null when it is, else why the bench cannot run. */
export function socatMissing(): string | null {
  const r = (process.env.PATH ?? "").split(":").some((d) => d !== "" && canRun(join(d, "socat")));
  return r ? null : "socat is not installed (Debian package socat): the bench's ptys need it";
}

function canRun(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
