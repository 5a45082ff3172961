// `lab reset`: the exact bytes to a scripted Espruino (binding-mock) — identify, check the boot
// file, then the reset line and nothing after it; a device without a boot file or of the wrong
// board gets no reset. And the lab's way into a provisioned unit's locked console, which every
// session (flash, provision, reset) shares: EspruinoSession.hello.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LabError } from "./errors";
import { resetOver } from "./reset";
import { MockBinding, mockDevice } from "./testing/mock-espruino";

afterEach(() => MockBinding.reset());

const RESET = "\x10E.reboot()\n";

/** A Puck.js whose Storage holds `files` (name → length and CRC as the device prints them). */
const puck =
  (files: Record<string, string>) =>
  (expr: string): string | null => {
    if (expr.startsWith("process.env.VERSION")) return "2v29 PUCKJS 30000 2200";
    const m = /Storage"\)\.read\("([^"]+)"\)\)$/.exec(expr);
    if (m) return files[m[1]] ?? "none";
    return null;
  };

describe("lab reset", () => {
  it("identifies the board, reads the boot file's CRC, then sends the reset as its last line", async () => {
    const { port, sent } = await mockDevice(puck({ ".bootcde": "8186 3735928559" }));
    const r = await resetOver(port, { pieceBytes: 64 });
    expect(r.device.board).toBe("PUCKJS");
    expect(r.boot).toEqual({ length: 8186, crc: 3735928559 });
    const wire = sent();
    expect(wire.startsWith("\x03")).toBe(true);
    expect(wire.endsWith(RESET)).toBe(true);
    expect(wire.split(RESET).length).toBe(2);
  });

  it("a device with no boot file is refused, and no reset is sent", async () => {
    const { port, sent } = await mockDevice(puck({}));
    const e = await resetOver(port).catch((x) => x);
    expect(e).toBeInstanceOf(LabError);
    expect((e as LabError).code).toBe("failed");
    expect((e as LabError).message).toMatch(/nothing to boot.*\.bootcde/);
    expect(sent()).not.toContain("E.reboot");
  });

  it("a board other than the one asked for is wrong-board, and no reset is sent", async () => {
    const { port, sent } = await mockDevice(puck({ ".bootcde": "1 2" }));
    const e = await resetOver(port, { boards: ["JOLTJS"] }).catch((x) => x);
    expect((e as LabError).code).toBe("wrong-board");
    expect(sent()).not.toContain("E.reboot");
  });

  it("a port that never answers is no-answer after the hello timeout, with no reset", async () => {
    const { port, sent } = await mockDevice(() => null);
    const e = await resetOver(port).catch((x) => x);
    expect((e as LabError).code).toBe("no-answer");
    expect(sent()).not.toContain("E.reboot");
  });
});

describe("a provisioned unit's locked console", () => {
  const PASSWORD = "0123456789abcdef0123";
  const jolt = (expr: string) =>
    expr.startsWith("process.env.VERSION") ? "2v29 JOLTJS 300000 11000" : "100 200";

  it("without the password: locked (exit 15), and nothing but password attempts reached it", async () => {
    const { port, sent, locked } = await mockDevice(jolt, "/dev/em-mock", { password: PASSWORD });
    const e = await resetOver(port, { timeouts: { hello: 500 } }).catch((x) => x);
    expect((e as LabError).code).toBe("locked");
    expect((e as LabError).exitCode).toBe(15);
    expect(locked()).toBe(true);
    expect(sent()).toContain("echo(0)"); // typed, but taken as a password attempt
  });

  it("with the wrong password: locked, and no reset", async () => {
    const { port, sent } = await mockDevice(jolt, "/dev/em-mock", { password: PASSWORD });
    const e = await resetOver(port, { password: "ffffffffffffffffffff" }).catch((x) => x);
    expect((e as LabError).code).toBe("locked");
    expect((e as LabError).message).toMatch(/refused the password/);
    expect(sent()).not.toContain("E.reboot");
  });

  it("with its password: Ctrl-C, an empty line, the password, then the session; the transcript never shows it", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "em-unlock-")), "t.log");
    const { port, sent, locked } = await mockDevice(jolt, "/dev/em-mock", { password: PASSWORD });
    const r = await resetOver(port, { password: PASSWORD, transcriptFile: log });
    expect(r.device.board).toBe("JOLTJS");
    expect(locked()).toBe(false);
    expect(sent().startsWith(`\x03\n${PASSWORD}\n\x10echo(0)\n`)).toBe(true);
    expect(sent().endsWith(RESET)).toBe(true);
    const transcript = readFileSync(log, "latin1");
    expect(transcript).toContain("Logged in");
    expect(transcript).not.toContain(PASSWORD);
  });

  it("an open console given a password gets only an empty line: the password is never typed into a REPL", async () => {
    const { port, sent } = await mockDevice(jolt);
    await resetOver(port, { password: PASSWORD });
    expect(sent()).not.toContain(PASSWORD);
    expect(sent().startsWith("\x03\n\x10echo(0)\n")).toBe(true);
  });
});
