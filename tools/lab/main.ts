// The lab command line: `npm run lab -- <subcommand> …`, `--help` everywhere. Each subcommand
// is one entry in COMMANDS (provision, register, sniff and decode join them later); failures
// are LabErrors whose exit codes tools/README.md lists.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { runConsole } from "./console";
import { EXIT, LabError } from "./errors";
import { type FlashReport, flashOver } from "./espruino";
import { openSerial, sleep } from "./link";

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>["options"];
  run(positionals: string[], values: Record<string, string | boolean | undefined>): Promise<number>;
}

const COMMON = { help: { type: "boolean" as const, short: "h" } };

const COMMANDS: Record<string, Command> = {
  flash: {
    summary: "upload a bundle into an Espruino's Storage over serial and verify it",
    usage: `lab flash <port> <bundle.js> [options]

Uploads the bundle with Espruino's upload protocol (echo off, Storage.write in 1 KB chunks,
one acknowledged line at a time) to a temporary file, checks its CRC-32 on the device against
the host's, and only then writes it under its final name (from the verified copy) and checks
that too. Prints the firmware version, board and CRC.

options:
  --name <file>     Storage file to write (default .bootcde, the boot code)
  --baud <rate>     line rate (default 115200)
  --retries <n>     retries of an interrupted or unverified upload (default 2)
  --log <file>      append a transcript of the session to this file
  --timeout <ms>    wait this long for each answer (default 5000)

exit codes: 0 verified, 2 usage, 3 no such port, 4 port busy, 5 no answer,
  6 not an Espruino, 7 out of Storage, 8 upload interrupted, 9 verify failed`,
    options: {
      name: { type: "string", default: ".bootcde" },
      baud: { type: "string", default: "115200" },
      retries: { type: "string", default: "2" },
      log: { type: "string" },
      timeout: { type: "string", default: "5000" },
    },
    async run([path, bundle], v) {
      if (path === undefined || bundle === undefined) throw usage("flash needs <port> <bundle.js>");
      let data: string;
      try {
        data = readFileSync(bundle, "latin1");
      } catch (e) {
        throw usage(`cannot read ${bundle}: ${(e as Error).message}`);
      }
      const report = await flashWithRetries(path, data, {
        name: String(v.name),
        baudRate: num(v.baud, "--baud"),
        retries: num(v.retries, "--retries"),
        transcriptFile: v.log as string | undefined,
        lineTimeout: num(v.timeout, "--timeout"),
        onAttemptFailed: (e, left) =>
          process.stderr.write(`attempt failed (${e.code}): ${e.message}; ${left} retries left\n`),
      });
      process.stdout.write(formatReport(report) + "\n");
      return 0;
    },
  },
  console: {
    summary: "a serial console to the device's REPL, the session logged",
    usage: `lab console <port> [options]

stdin goes to the port, the port to stdout; Ctrl-] leaves (Ctrl-C goes to the device).

options:
  --baud <rate>     line rate (default 115200)
  --log <file>      session log (default console-<time>.log in the current folder)`,
    options: {
      baud: { type: "string", default: "115200" },
      log: { type: "string" },
    },
    async run([path], v) {
      if (path === undefined) throw usage("console needs <port>");
      const log =
        (v.log as string | undefined) ??
        `console-${new Date().toISOString().replace(/[:.]/g, "-")}.log`;
      await runConsole(path, num(v.baud, "--baud"), log);
      return 0;
    },
  },
};

export interface FlashRetryOptions {
  name: string;
  baudRate: number;
  retries: number;
  transcriptFile?: string;
  lineTimeout?: number;
  onProgress?: (written: number, total: number) => void;
  onAttemptFailed?: (e: LabError, retriesLeft: number) => void;
}

/**
 * Opens the port and flashes; an interrupted or unverified upload is retried from the start
 * on a fresh connection (the target is untouched until a copy verified, so a retry is safe).
 */
export async function flashWithRetries(
  path: string,
  data: string,
  o: FlashRetryOptions,
): Promise<FlashReport> {
  for (let attempt = 0; ; attempt++) {
    const port = await openSerial(path, o.baudRate);
    try {
      return await flashOver(port, data, {
        name: o.name,
        baudRate: o.baudRate,
        transcriptFile: o.transcriptFile,
        timeouts: o.lineTimeout === undefined ? {} : { line: o.lineTimeout },
        onProgress: o.onProgress,
      });
    } catch (e) {
      const retriable =
        e instanceof LabError && (e.code === "upload-interrupted" || e.code === "verify-failed");
      if (!retriable || attempt >= o.retries) throw e;
      o.onAttemptFailed?.(e, o.retries - attempt);
      await sleep(500);
    } finally {
      if (port.isOpen) await new Promise<void>((r) => port.close(() => r()));
    }
  }
}

export function formatReport(r: FlashReport): string {
  const s = r.ms / 1000;
  return (
    `verified ${r.name}: ${r.bytes} bytes, CRC-32 ${r.crc.toString(16).padStart(8, "0")}, ` +
    `${r.chunks} chunks in ${s.toFixed(2)} s (${Math.round(r.bytes / s)} B/s) on ` +
    `${r.device.board} Espruino ${r.device.version}, ${r.device.storageFree} B of Storage free before`
  );
}

function usage(msg: string): LabError {
  return new LabError("usage", msg);
}

function num(v: unknown, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw usage(`${flag} wants a number, got ${String(v)}`);
  return n;
}

function mainHelp(): string {
  const rows = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
  return `usage: npm run lab -- <command> [options]   (--help after a command for its own)\n\ncommands:\n${rows.join("\n")}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(mainHelp() + "\n");
    return name === undefined ? EXIT.usage : 0;
  }
  const cmd = COMMANDS[name];
  try {
    if (cmd === undefined) throw usage(`no command ${name}\n${mainHelp()}`);
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...COMMON, ...cmd.options },
      allowPositionals: true,
    });
    if (values.help) {
      process.stdout.write(cmd.usage + "\n");
      return 0;
    }
    return await cmd.run(positionals, values as Record<string, string | boolean | undefined>);
  } catch (e) {
    if (e instanceof LabError) {
      process.stderr.write(`lab ${name}: ${e.code}: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`lab ${name}: usage: ${e.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`lab ${name}: ${(e as Error).stack ?? e}\n`);
    return EXIT.failed;
  }
}

if (
  process.argv[1] !== undefined &&
  import.meta.url.endsWith(process.argv[1].replace(/.*\//, "/"))
) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
