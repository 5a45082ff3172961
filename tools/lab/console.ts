// `lab console <port>`: the device's REPL on this terminal — stdin to the port, the port to
// stdout — with the whole session appended to a log file. Ctrl-] leaves (Ctrl-C belongs to the
// device: it interrupts the running code there).

import { appendFileSync } from "node:fs";
import { type ConsoleIo, typePassword } from "./espruino";
import { type PortLike, sleep } from "./link";

/** What the console needs of a serial port: the link's, and letting go of a listener. */
export type ConsolePort = PortLike & { off(event: "data", fn: (b: Buffer) => void): unknown };

/** How long the console waits for a locked device's answer to the password. */
const PASSWORD_ANSWER_MS = 2000;
const noError = () => {};

/** The terminal: process.stdin/stdout, or streams in tests. */
export interface Terminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: { write(b: Buffer | string): unknown };
}

export async function runConsole(
  port: ConsolePort,
  label: string,
  logFile: string,
  password?: string,
  term: Terminal = { input: process.stdin, output: process.stdout },
): Promise<void> {
  const log = (dir: string, b: Buffer) =>
    appendFileSync(
      logFile,
      `${new Date().toISOString()} ${dir} ${JSON.stringify(b.toString("latin1"))}\n`,
    );
  appendFileSync(logFile, `${new Date().toISOString()} console ${label}\n`);
  if (password !== undefined) await unlock(port, password, log, term);
  process.stderr.write(`connected to ${label}; Ctrl-] leaves; log: ${logFile}\n`);
  const stdin = term.input;
  const raw = (on: boolean) => {
    if (stdin.isTTY && stdin.setRawMode) stdin.setRawMode(on);
  };
  raw(true);
  await new Promise<void>((resolve) => {
    const done = () => {
      stdin.removeListener("data", onIn);
      raw(false);
      stdin.pause();
      if (port.isOpen) port.close(() => resolve());
      else resolve();
    };
    const onIn = (chunk: Buffer | string) => {
      const b = typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk;
      const quit = b.indexOf(0x1d);
      const out = quit >= 0 ? b.subarray(0, quit) : b;
      if (out.length > 0) {
        log(">", out);
        port.write(out, noError);
      }
      if (quit >= 0) port.drain(() => done());
    };
    port.on("data", (b: Buffer) => {
      log("<", b);
      term.output.write(b);
    });
    port.on("close", done);
    stdin.on("data", onIn);
    stdin.on("end", () => port.drain(() => setTimeout(done, 500)));
  });
  appendFileSync(logFile, `${new Date().toISOString()} closed\n`);
}

/** The password typed if the console is locked (typePassword), as the lab's sessions do. What
 * the device says is shown; the password is not. */
async function unlock(
  port: ConsolePort,
  password: string,
  log: (dir: string, b: Buffer) => void,
  term: Terminal,
): Promise<void> {
  let heard = "";
  let from = 0;
  const onData = (b: Buffer) => {
    heard += b.toString("latin1");
  };
  port.on("data", onData);
  const io: ConsoleIo = {
    send: async (text, logged) => {
      log(">", Buffer.from(logged, "latin1"));
      port.write(Buffer.from(text, "latin1"), noError);
    },
    waitFor: async (re, ms) => {
      for (let waited = 0; ; waited += 50) {
        const m = re.exec(heard.slice(from));
        if (m !== null) {
          from += m.index + m[0].length;
          return m;
        }
        if (waited >= ms) return null;
        await sleep(50);
      }
    },
  };
  await typePassword(io, password, PASSWORD_ANSWER_MS);
  port.off("data", onData);
  log("<", Buffer.from(heard, "latin1"));
  term.output.write(heard);
}
