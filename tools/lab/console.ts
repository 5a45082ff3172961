// `lab console <port>`: the device's REPL on this terminal — stdin to the port, the port to
// stdout — with the whole session appended to a log file. Ctrl-] leaves (Ctrl-C belongs to the
// device: it interrupts the running code there).

import { appendFileSync } from "node:fs";
import { openSerial } from "./link";

export async function runConsole(path: string, baudRate: number, logFile: string): Promise<void> {
  const port = await openSerial(path, baudRate);
  const log = (dir: string, b: Buffer) =>
    appendFileSync(
      logFile,
      `${new Date().toISOString()} ${dir} ${JSON.stringify(b.toString("latin1"))}\n`,
    );
  appendFileSync(logFile, `${new Date().toISOString()} console ${path} at ${baudRate} baud\n`);
  process.stderr.write(
    `connected to ${path} at ${baudRate} baud; Ctrl-] leaves; log: ${logFile}\n`,
  );
  const stdin = process.stdin;
  if (stdin.isTTY) stdin.setRawMode(true);
  await new Promise<void>((resolve) => {
    const done = () => {
      stdin.off("data", onIn);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      if (port.isOpen) port.close(() => resolve());
      else resolve();
    };
    const onIn = (b: Buffer) => {
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
      process.stdout.write(b);
    });
    port.on("close", done);
    stdin.on("data", onIn);
    stdin.on("end", () => port.drain(() => setTimeout(done, 500)));
  });
  appendFileSync(logFile, `${new Date().toISOString()} closed\n`);
}
