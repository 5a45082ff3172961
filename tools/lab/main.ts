// The lab command line: `npm run lab -- <subcommand> …`, `--help` everywhere. Each subcommand
// is one entry in COMMANDS; failures
// are LabErrors whose exit codes tools/README.md lists.

import { appendFileSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { fromHex, toHex } from "@em-platform/protocol/core/bytes";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { type Advert, readTrace, traceLine } from "../../simulator/radio/advert-trace";
import { runConsole } from "./console";
import {
  type DecodeContext,
  decodeFrame,
  describeDecoded,
  frameFromText,
  UNVERIFIED,
} from "./decode";
import { decodeLive } from "./decode-live";
import { EXIT, LabError } from "./errors";
import type { FlashReport } from "./espruino";
import { flashWithRetries } from "./flash-with-retries";
import { openSerial } from "./link";
import { type ProvisionRequest, provision } from "./provision";
import { unitConsolePassword } from "./provision-records";
import { DeviceRegister, hexId } from "./register/register";
import {
  REGISTER_OPTIONS,
  REGISTER_USAGE,
  registerPath,
  runRegister,
} from "./register/register-command";
import { resetOver } from "./reset";
import { startBleScan } from "./sniff/ble-scan";
import { describeFrame, SniffTable } from "./sniff/sniff-table";

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>["options"];
  run(positionals: string[], values: Record<string, string | boolean | undefined>): Promise<number>;
}

const COMMON = { help: { type: "boolean" as const, short: "h" } };

const UNLOCK_USAGE = `  --unlock <unit id> a provisioned unit's console is locked: unlock it with the password this
                    unit id derives from the fleet root (SPEC §2; never printed or logged)
  --root-file <path> the fleet root for --unlock: 32 raw bytes or 64 hex digits (else
                    EM_FLEET_ROOT)`;
const UNLOCK_OPTIONS = {
  unlock: { type: "string" as const },
  "root-file": { type: "string" as const },
};

/** The console password --unlock asks for, derived from the fleet root; undefined without it. */
function consolePassword(v: Record<string, string | boolean | undefined>): string | undefined {
  if (v.unlock === undefined) return undefined;
  const root = fleetRoot(v["root-file"] as string | undefined);
  if (root === null) throw usage("--unlock needs the fleet root (--root-file or EM_FLEET_ROOT)");
  return unitConsolePassword(root, intArg(String(v.unlock), "--unlock"));
}

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
  --board <list>    refuse a device whose board is not one of these (process.env.BOARD), e.g.
                    PUCKJS for tag.js, JOLTJS for base.js; nothing is written to another
  --baud <rate>     line rate (default 115200)
  --retries <n>     retries of an interrupted or unverified upload (default 2)
  --log <file>      append a transcript of the session to this file
  --timeout <ms>    wait this long for each answer (default 5000)
${UNLOCK_USAGE}

exit codes: 0 verified, 2 usage, 3 no such port, 4 port busy, 5 no answer,
  6 not an Espruino, 7 out of Storage, 8 upload interrupted, 9 verify failed, 14 wrong board,
  15 locked`,
    options: {
      name: { type: "string", default: ".bootcde" },
      board: { type: "string" },
      baud: { type: "string", default: "115200" },
      retries: { type: "string", default: "2" },
      log: { type: "string" },
      timeout: { type: "string", default: "5000" },
      ...UNLOCK_OPTIONS,
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
        boards: v.board === undefined ? undefined : String(v.board).split(","),
        baudRate: num(v.baud, "--baud"),
        retries: num(v.retries, "--retries"),
        transcriptFile: v.log as string | undefined,
        lineTimeout: num(v.timeout, "--timeout"),
        password: consolePassword(v),
        onAttemptFailed: (e, left) =>
          process.stderr.write(`attempt failed (${e.code}): ${e.message}; ${left} retries left\n`),
      });
      process.stdout.write(formatReport(report) + "\n");
      return 0;
    },
  },
  reset: {
    summary: "reset a device so that it boots what was flashed (E.reboot(), as at power-on)",
    usage: `lab reset <port> [options]

Identifies the Espruino, checks that it has a boot file, and resets it (E.reboot(): the nRF52's
system reset, as when a battery goes in), so that it boots the .bootcde and the records that
flash and provision wrote. A device with no boot file is refused with nothing sent.

options:
  --board <list>    refuse a device whose board is not one of these (process.env.BOARD)
  --boot <file>     the boot file to check for (default .bootcde)
  --baud <rate>     line rate (default 115200)
  --log <file>      append a transcript of the session to this file
${UNLOCK_USAGE}

exit codes: 0 reset, 1 no boot file, 2 usage, 3 no such port, 4 port busy, 5 no answer,
  6 not an Espruino, 14 wrong board, 15 locked`,
    options: {
      board: { type: "string" },
      boot: { type: "string", default: ".bootcde" },
      baud: { type: "string", default: "115200" },
      log: { type: "string" },
      ...UNLOCK_OPTIONS,
    },
    async run([path], v) {
      if (path === undefined) throw usage("reset needs <port>");
      const baudRate = num(v.baud, "--baud");
      const r = await resetOver(await openSerial(path, baudRate), {
        baudRate,
        boards: v.board === undefined ? undefined : String(v.board).split(","),
        bootFile: String(v.boot),
        transcriptFile: v.log as string | undefined,
        password: consolePassword(v),
      });
      process.stdout.write(
        `reset ${r.device.board} (Espruino ${r.device.version}): booting ${String(v.boot)}, ` +
          `${r.boot.length} bytes, CRC-32 0x${(r.boot.crc >>> 0).toString(16).padStart(8, "0")}\n`,
      );
      return 0;
    },
  },
  console: {
    summary: "a serial console to the device's REPL, the session logged",
    usage: `lab console <port> [options]

stdin goes to the port, the port to stdout; Ctrl-] leaves (Ctrl-C goes to the device).

options:
  --baud <rate>     line rate (default 115200)
  --log <file>      session log (default console-<time>.log in the current folder)
${UNLOCK_USAGE}`,
    options: {
      baud: { type: "string", default: "115200" },
      log: { type: "string" },
      ...UNLOCK_OPTIONS,
    },
    async run([path], v) {
      if (path === undefined) throw usage("console needs <port>");
      const log =
        (v.log as string | undefined) ??
        `console-${new Date().toISOString().replace(/[:.]/g, "-")}.log`;
      const baud = num(v.baud, "--baud");
      const password = consolePassword(v);
      await runConsole(await openSerial(path, baud), `${path} at ${baud} baud`, log, password);
      return 0;
    },
  },
  provision: {
    summary: "write a device's identity and keys (from the fleet root) and record it",
    usage: `lab provision <tag|unit> <port> --id <id> --firmware <version> [options]

Derives the device's keys from the fleet root (SPEC §2), writes its records into Storage with
the verified upload of "lab flash" (a tag: em.id; a unit: em.unit, em.pair, its console
password em.pwd and, with --broker-host, em.net), then records it in the register (a unit:
paired with --tag). The register is asked first: a device in service is refused, before
anything is written to it, unless --force --reason. A unit whose console is locked (it booted
provisioned) is unlocked with the password its --id derives. The root and the password are
never printed or logged.

options:
  --root-file <path>     the fleet root: 32 raw bytes or 64 hex digits (else EM_FLEET_ROOT)
  --key-version <n>      key version (default 1)
  --company <id>         BLE company id of the tag's beacons (default 0xffff)
  --tag <id>             unit: the tag it is paired with (in the register already)
  --broker-host <host> --broker-port <n> --apn <apn> [--apn-user u --apn-pass p]
  --centre <numbers>     comma-separated centre SMS numbers; --officer <numbers> likewise
  --broker-secret-file <path>  the secret unit broker passwords derive from (SPEC §13)
  --tls                  the unit connects over its modem's TLS (--broker-port: the broker's TLS
                         listener, e.g. 8883; SPEC §13)
  --db <file>            the register (default: EM_REGISTER, else ./lab-register.sqlite)
  --operator <name>      who provisions (default: the login name)
  --force --reason <text>  re-provision a device in service
  --baud <rate> --retries <n> --log <file>   as for flash

exit codes: as for flash and register (10 not in the register, 11 refused)`,
    options: {
      id: { type: "string" },
      firmware: { type: "string" },
      "root-file": { type: "string" },
      "key-version": { type: "string", default: "1" },
      company: { type: "string", default: "0xffff" },
      tag: { type: "string" },
      "broker-host": { type: "string" },
      "broker-port": { type: "string", default: "1883" },
      apn: { type: "string", default: "" },
      "apn-user": { type: "string", default: "" },
      "apn-pass": { type: "string", default: "" },
      centre: { type: "string", default: "" },
      officer: { type: "string", default: "" },
      "broker-secret-file": { type: "string" },
      tls: { type: "boolean" },
      db: { type: "string" },
      operator: { type: "string" },
      force: { type: "boolean" },
      reason: { type: "string" },
      baud: { type: "string", default: "115200" },
      retries: { type: "string", default: "2" },
      log: { type: "string" },
    },
    async run([kind, port], v) {
      if ((kind !== "tag" && kind !== "unit") || port === undefined)
        throw usage("provision needs <tag|unit> <port>");
      if (v.id === undefined || v.firmware === undefined)
        throw usage("provision needs --id and --firmware");
      const root = fleetRoot(v["root-file"] as string | undefined);
      if (root === null)
        throw usage("provision needs the fleet root (--root-file or EM_FLEET_ROOT)");
      if (v.force && !v.reason) throw usage("--force needs --reason");
      const list = (x: unknown) =>
        String(x)
          .split(",")
          .map((n) => n.trim())
          .filter((n) => n !== "");
      const secretFile = v["broker-secret-file"] as string | undefined;
      const request: ProvisionRequest = {
        kind,
        id: intArg(String(v.id), "--id"),
        keyVersion: intArg(String(v["key-version"]), "--key-version"),
        companyId: intArg(String(v.company), "--company"),
        tagId: v.tag === undefined ? undefined : intArg(String(v.tag), "--tag"),
        firmware: String(v.firmware),
        force: v.force ? String(v.reason) : undefined,
        brokerSecret: secretFile === undefined ? undefined : new Uint8Array(readFile(secretFile)),
        net:
          v["broker-host"] === undefined
            ? null
            : {
                brokerHost: String(v["broker-host"]),
                brokerPort: intArg(String(v["broker-port"]), "--broker-port"),
                apn: String(v.apn),
                apnUser: String(v["apn-user"]),
                apnPass: String(v["apn-pass"]),
                centreNumbers: list(v.centre),
                officerNumbers: list(v.officer),
                tls: v.tls === true,
              },
      };
      const register = await DeviceRegister.open(registerPath(v), {
        operator: (v.operator as string | undefined) ?? userInfo().username,
      });
      try {
        const r = await provision(
          root,
          request,
          {
            port,
            baudRate: num(v.baud, "--baud"),
            retries: num(v.retries, "--retries"),
            transcriptFile: v.log as string | undefined,
          },
          register,
        );
        for (const f of r.files)
          process.stdout.write(
            `verified ${f.name}: ${f.bytes} bytes, CRC-32 ${f.crc.toString(16).padStart(8, "0")}\n`,
          );
        process.stdout.write(
          `${kind} ${hexId(request.id)} provisioned at key version ${request.keyVersion} on ${r.board} (Espruino ${r.espruino}) and registered\n`,
        );
      } finally {
        register.close();
      }
      return 0;
    },
  },
  sniff: {
    summary: "tag beacons heard over BLE (or replayed from a trace), verified, as a live table",
    usage: `lab sniff [--replay <trace.jsonl>] [options]

Scans BLE with noble (optional dependency @stoprocent/noble) for tag beacons under the company
id, decodes each, verifies its MAC under the fleet root (--root-file or EM_FLEET_ROOT; without
it: unverified) and its counter against the frames heard before (a radio repeat is a duplicate,
an older counter a replay), one line per frame and a table per tag at the end (Ctrl-C or
--seconds). --record writes every advertisement heard as JSON lines; --replay reads such a trace
instead of the radio (tools/lab/sniff/trace.ts has the format).

options:
  --replay <file>        read a recorded trace instead of scanning
  --record <file>        append every advertisement heard to this trace
  --seconds <n>          stop scanning after n seconds (default: at Ctrl-C)
  --root-file <path>     the fleet root: 32 raw bytes or 64 hex digits
  --key-versions <list>  key versions held (default 1)
  --company <id>         BLE company id (default 0xffff)
  --tag <id>             show this tag only
  --ready <ms>           wait this long for the adapter (default 5000)

exit codes: 0 done, 1 the trace had lines that are not advertisements, 2 usage,
  13 no Bluetooth (noble missing, or no adapter ready)`,
    options: {
      replay: { type: "string" },
      record: { type: "string" },
      seconds: { type: "string" },
      "root-file": { type: "string" },
      "key-versions": { type: "string", default: "1" },
      company: { type: "string", default: "0xffff" },
      tag: { type: "string" },
      ready: { type: "string", default: "5000" },
    },
    async run(_p, v) {
      const root = fleetRoot(v["root-file"] as string | undefined);
      const keyVersions = String(v["key-versions"])
        .split(",")
        .map((x) => intArg(x, "--key-versions"));
      const table = new SniffTable(
        intArg(String(v.company), "--company"),
        root === null ? null : FleetKeyring.fromRoot(root, keyVersions),
        v.tag === undefined ? null : intArg(String(v.tag), "--tag"),
      );
      const show = (a: Advert) => {
        const f = table.feed(a);
        if (f !== null) process.stdout.write(describeFrame(f) + "\n");
      };
      const printTable = () => {
        process.stdout.write(
          "\n| tag | address | RSSI | counter | flags | frames | rejected | last |\n|---|---|--:|--:|---|--:|--:|---|\n",
        );
        for (const r of table.table())
          process.stdout.write(
            `| ${hexId(r.tagId)} | ${r.address} | ${r.rssi} | ${r.counter} | ${r.flags.join("+") || "-"} | ${r.frames} | ${r.rejected} | ${r.lastVerdict} |\n`,
          );
      };
      if (v.replay !== undefined) {
        const trace = readTrace(readFile(String(v.replay)).toString("utf8"));
        for (const a of trace.adverts) show(a);
        printTable();
        for (const b of trace.bad) process.stderr.write(`lab sniff: ${v.replay}: ${b}\n`);
        return trace.bad.length === 0 ? 0 : EXIT.failed;
      }
      const record = v.record === undefined ? null : String(v.record);
      const scanner = await startBleScan(
        (a) => {
          if (record !== null) appendFileSync(record, traceLine(a));
          show(a);
        },
        num(v.ready, "--ready"),
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        if (v.seconds !== undefined) setTimeout(resolve, 1000 * num(v.seconds, "--seconds"));
      });
      await scanner.stop();
      printTable();
      return 0;
    },
  },
  register: {
    summary: "the equipment register: devices, keys, issue and return to cases, history",
    usage: REGISTER_USAGE,
    options: REGISTER_OPTIONS,
    run: runRegister,
  },
  decode: {
    summary: "any frame (hex, base64, SMS text or a file) to its fields and a verdict",
    usage: `lab decode <frame> | --file <path> | --mqtt <url> [options]

The frame: hex (spaces allowed), base64, an SMS text "EM1:…", or --file (raw bytes, or any of
those as text). A beacon is the manufacturer data after the 2-byte company id. With the fleet
root (--root-file, or EM_FLEET_ROOT as 64 hex digits; never printed) the MAC is checked under
the key version the frame names; without it the fields are shown, unverified. One frame has no
counter history: fresh or replayed is the receiver's call. With --mqtt, every message on the
broker's protocol topics is decoded as it arrives (an uplink whose envelope names another unit
than its topic is topic_mismatch, SPEC §13; a downlink is read as its topic's unit receives it)
until --count messages or Ctrl-C.

options:
  --file <path>          read the frame from a file
  --mqtt <url>           decode live from this broker (e.g. mqtt://127.0.0.1:1883)
  --topic <filter>       with --mqtt: the topics (default em/v1/#)
  --count <n>            with --mqtt: stop after n messages
  --username <name> --password-file <path>   with --mqtt: the centre account (SPEC §13)
  --root-file <path>     the fleet root: 32 raw bytes or 64 hex digits
  --key-versions <list>  key versions held (default 1), e.g. 1,2
  --company <id>         BLE company id the beacon was heard under (default 0xffff)
  --tag <id> / --unit <id>  the receiving tag / unit (a frame for another is wrong_device)
  --as <uplink|downlink> read an envelope as this kind whatever its key id says
  --now <utc s>          the time for a downlink's expiry (default now)
  --json                 one JSON object instead of lines

exit codes: 0 the frame is valid (or unverified without a root), 1 it is rejected, 2 usage;
  with --mqtt: 0, or 5 the broker cannot be reached`,
    options: {
      file: { type: "string" },
      mqtt: { type: "string" },
      topic: { type: "string" },
      count: { type: "string" },
      username: { type: "string" },
      "password-file": { type: "string" },
      "root-file": { type: "string" },
      "key-versions": { type: "string", default: "1" },
      company: { type: "string", default: "0xffff" },
      tag: { type: "string" },
      unit: { type: "string" },
      as: { type: "string" },
      now: { type: "string" },
      json: { type: "boolean" },
    },
    async run([text], v) {
      const as = v.as as string | undefined;
      if (as !== undefined && as !== "uplink" && as !== "downlink")
        throw usage("--as: uplink or downlink");
      const ctx: DecodeContext = {
        root: fleetRoot(v["root-file"] as string | undefined),
        keyVersions: String(v["key-versions"])
          .split(",")
          .map((x) => intArg(x, "--key-versions")),
        companyId: intArg(String(v.company), "--company"),
        tagId: v.tag === undefined ? null : intArg(String(v.tag), "--tag"),
        unitId: v.unit === undefined ? null : intArg(String(v.unit), "--unit"),
        now: v.now === undefined ? Math.floor(Date.now() / 1000) : intArg(String(v.now), "--now"),
        envelopeAs: as === undefined ? null : as,
      };
      if (v.mqtt !== undefined) {
        const pw = v["password-file"] as string | undefined;
        const live = await decodeLive(
          {
            url: String(v.mqtt),
            filter: v.topic as string | undefined,
            username: v.username as string | undefined,
            password: pw === undefined ? undefined : readFile(pw).toString("utf8").trim(),
            count: v.count === undefined ? undefined : intArg(String(v.count), "--count"),
          },
          ctx,
          (m) => {
            const body =
              m.decoded === null
                ? [`status: ${m.text}`]
                : v.json
                  ? [JSON.stringify(m.decoded, (_k, x) => (x instanceof Uint8Array ? toHex(x) : x))]
                  : describeDecoded(m.decoded);
            process.stdout.write(`${m.topic}\n${body.map((l) => "  " + l).join("\n")}\n`);
          },
        );
        process.once("SIGINT", () => void live.stop());
        await live.done;
        return 0;
      }
      let input: Uint8Array | string | null;
      if (v.file !== undefined) {
        let raw: Buffer;
        try {
          raw = readFileSync(v.file as string);
        } catch (e) {
          throw usage(`cannot read ${v.file}: ${(e as Error).message}`);
        }
        input = frameFromText(raw.toString("latin1")) ?? new Uint8Array(raw);
      } else if (text !== undefined) input = frameFromText(text);
      else throw usage("decode needs <frame> or --file");
      if (input === null) throw usage("not hex, base64 or an SMS text: " + text);
      const d = decodeFrame(input, ctx);
      process.stdout.write(
        (v.json
          ? JSON.stringify(d, (_k, x) => (x instanceof Uint8Array ? toHex(x) : x))
          : describeDecoded(d).join("\n")) + "\n",
      );
      return d.verdict === "ok" || d.verdict === UNVERIFIED ? 0 : EXIT.failed;
    },
  },
};

export function formatReport(r: FlashReport): string {
  const s = r.ms / 1000;
  return (
    `verified ${r.name}: ${r.bytes} bytes, CRC-32 ${r.crc.toString(16).padStart(8, "0")}, ` +
    `${r.chunks} chunks${r.kept > 0 ? ` (${r.kept} kept from an interrupted upload)` : ""} in ${s.toFixed(2)} s (${Math.round(r.bytes / s)} B/s) on ` +
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

/** A whole number, decimal or 0x-hex. */
function intArg(v: string, flag: string): number {
  const n = /^0x[0-9a-f]+$/i.test(v) ? Number.parseInt(v, 16) : Number(v);
  if (!Number.isInteger(n) || n < 0) throw usage(`${flag} wants a whole number, got ${v}`);
  return n;
}

/** The fleet root from --root-file or EM_FLEET_ROOT; null when neither is given. Never echoed. */
export function fleetRoot(file: string | undefined): Uint8Array | null {
  let raw: Buffer | null = null;
  if (file !== undefined) {
    try {
      raw = readFileSync(file);
    } catch (e) {
      throw usage(`cannot read the root file: ${(e as Error).message}`);
    }
  } else if (process.env.EM_FLEET_ROOT) raw = Buffer.from(process.env.EM_FLEET_ROOT);
  if (raw === null) return null;
  if (raw.length === 32) return new Uint8Array(raw);
  const hex = raw.toString("latin1").trim();
  const b = /^[0-9a-fA-F]{64}$/.test(hex) ? fromHex(hex.toLowerCase()) : null;
  if (b === null) throw usage("the fleet root must be 32 raw bytes or 64 hex digits");
  return b;
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw usage(`cannot read ${path}: ${(e as Error).message}`);
  }
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
