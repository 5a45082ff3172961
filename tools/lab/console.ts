// `lab console <port>`: the device's REPL on this terminal — stdin to the port, the port to
// stdout — with the whole session appended to a log file. Ctrl-] leaves (Ctrl-C belongs to the
// device: it interrupts the running code there).

import { appendFileSync } from "node:fs";
import { sleep } from "./link";

/** What the console needs of a serial port (a SerialPort, or binding-mock's in tests). */
export interface ConsolePort {
  isOpen: boolean;
  write(b: Buffer): unknown;
  drain(cb: () => void): unknown;
  close(cb: () => void): unknown;
  on(event: "data", fn: (b: Buffer) => void): unknown;
  on(event: "close", fn: () => void): unknown;
  off(event: "data", fn: (b: Buffer) => void): unknown;
}

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
        port.write(out);
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

/** As the lab's sessions do (EspruinoSession): an empty line; the password only if a locked
 * console answered it with its prompt. What the device says is shown; the password is not. */
async function unlock(
  port: ConsolePort,
  password: string,
  log: (dir: string, b: Buffer) => void,
  term: Terminal,
): Promise<void> {
  let heard = "";
  const onData = (b: Buffer) => {
    heard += b.toString("latin1");
  };
  port.on("data", onData);
  const write = (text: string, logged: string) => {
    log(">", Buffer.from(logged, "latin1"));
    port.write(Buffer.from(text, "latin1"));
  };
  write("\n", "\n");
  for (let t = 0; t < 20 && !/password>/.test(heard); t++) await sleep(50);
  if (/password>/.test(heard)) {
    const from = heard.length;
    write(password + "\n", "<the unit's console password>\n");
    for (let t = 0; t < 40 && !/Logged in|Invalid password/.test(heard.slice(from)); t++)
      await sleep(50);
  }
  port.off("data", onData);
  log("<", Buffer.from(heard, "latin1"));
  term.output.write(heard);
}
