// The real bench's wiring without the hardware: which port each lab command goes to, what the
// unit is provisioned with, how a board is booted, and that a bench whose BLE adapter cannot be
// reached stops the run with the lab's no-bluetooth error rather than running deaf.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LabError } from "../tools/lab/errors";
import { parseBenchConfig } from "./bench-config";
import { BenchNotAttachedError, RealBench } from "./real-bench";

// Files stand in for the device nodes: the bench only asks whether they are there.
const dir = mkdtempSync(join(tmpdir(), "em-real-bench-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const present = (name: string) => {
  const p = join(dir, name);
  writeFileSync(p, "");
  return p;
};

const CONFIG = {
  name: "bench-7",
  tag: { port: present("usb-FTDI-tag"), id: 12648430 },
  unit: { port: present("usb-Espruino_Jolt-unit"), id: 41244 },
  broker: { url: "mqtt://10.0.0.2:1883", username: "em-centre", password: "pw" },
  rootFile: present("test-fleet.root"),
  unitBroker: { host: "10.0.0.2", port: 1884, apn: "internet", centre: "+37129000000" },
};

const config = (extra: object = {}) =>
  parseBenchConfig(JSON.stringify({ ...CONFIG, ...extra }), "bench.json");

/** A lab that records each command and answers with `code`. */
const recorder = (code = 0) => {
  const calls: { step: string; args: string[] }[] = [];
  return {
    calls,
    run: (step: string, args: string[]) => {
      calls.push({ step, args });
      return Promise.resolve(code);
    },
  };
};

describe("the real bench", () => {
  it("runs each lab command on its device's configured port and provisions the unit's network", async () => {
    const lab = recorder();
    const bench = await RealBench.open(config(), lab.run, () => true);
    await bench.lab("flash-tag", "tag", (p) => ["flash", p, "tag.js"]);
    await bench.lab("flash-unit", "unit", (p) => ["flash", p, "base.js"]);
    expect(lab.calls.map((c) => c.args[1])).toEqual([CONFIG.tag.port, CONFIG.unit.port]);
    expect(bench.bootFile()).toBe(".bootcde");
    expect(bench.storedCrc()).toBeNull();
    expect(bench.unitNetwork).toEqual([
      "--broker-host",
      "10.0.0.2",
      "--broker-port",
      "1884",
      "--apn",
      "internet",
      "--centre",
      "+37129000000",
    ]);
    expect(bench.centre).toEqual(CONFIG.broker);
    expect([bench.tagId, bench.unitId, bench.rootFile]).toEqual([
      CONFIG.tag.id,
      CONFIG.unit.id,
      CONFIG.rootFile,
    ]);
    // No relay, no BLE adapter described: the steps that need them skip; nothing is virtual.
    expect([bench.relay, bench.frames, bench.virtual]).toEqual([null, null, null]);
    await bench.dispose();
  });

  it("boots a board with lab reset on its port, for its board, and fails the step when it fails", async () => {
    const ok = recorder();
    const bench = await RealBench.open(config(), ok.run, () => true);
    await bench.boot("unit");
    await bench.boot("tag");
    // The unit's console is locked once it has booted provisioned: reset unlocks it.
    const unlock = ["--unlock", String(CONFIG.unit.id), "--root-file", CONFIG.rootFile];
    expect(ok.calls).toEqual([
      {
        step: "reset-unit",
        args: ["reset", CONFIG.unit.port, "--board", "JOLTJS,LINUX_JOLTLIKE", ...unlock],
      },
      { step: "reset-tag", args: ["reset", CONFIG.tag.port, "--board", "PUCKJS,LINUX_PUCKLIKE"] },
    ]);
    const refused = await RealBench.open(config(), recorder(1).run, () => true);
    await expect(refused.boot("tag")).rejects.toThrow(
      /lab reset .*usb-FTDI-tag \(the tag\) exited 1/,
    );
  });

  it("a half-attached bench is refused before anything runs, naming everything missing", async () => {
    const lab = recorder();
    const e = await RealBench.open(
      config({
        unit: { ...CONFIG.unit, port: join(dir, "unplugged") },
        relay: { port: join(dir, "no-relay"), strapChannel: 1, mainsChannel: 2 },
      }),
      lab.run,
      () => true,
    ).catch((x) => x);
    expect(e).toBeInstanceOf(BenchNotAttachedError);
    expect((e as BenchNotAttachedError).missing).toEqual([
      `the unit's console ${join(dir, "unplugged")} is missing`,
      `the relay fixture ${join(dir, "no-relay")} is missing`,
    ]);
    expect(lab.calls).toEqual([]);
  });

  it("a BLE adapter described but not reachable stops the bench with no-bluetooth", async () => {
    const e = await RealBench.open(config({ ble: { hci: 3 } }), recorder().run, () => true).catch(
      (x) => x,
    );
    expect(e).toBeInstanceOf(LabError);
    expect((e as LabError).code).toBe("no-bluetooth");
  }, 20_000);
});
