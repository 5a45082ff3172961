// The HIL suite. On a real bench (HIL_BENCH=<config>) it flashes and provisions the devices on
// the configured ports and skips, saying why, the steps whose fixtures it cannot drive yet. With
// no bench it runs on the virtual bench: the real Espruino interpreters (espruino-puck for the
// tag, espruino-jolt for the home unit) with their consoles behind pseudo-terminals, so flash
// and provision go through the real serial path and the real REPL; the unit then boots from what
// was flashed, its Serial1 on a pty to the simulator's virtual SIM800 with real TCP to a real
// broker, and the centre (the reference receiver) verifies what arrives. Each step writes its
// transcript to hil-results/. BLE between the two interpreters is not bridged: the tag's beacons
// are signed on the host with the key read back from the tag's own provisioned Storage. A lab
// command's errors go to stderr (the run's output); its stdout is the step's transcript.

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { BeaconFlag } from "@em-platform/protocol/core/beacon";
import type { CborMap } from "@em-platform/protocol/core/cbor";
import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import { EventCode } from "@em-platform/protocol/core/events";
import { encodeBeaconHost } from "@em-platform/protocol/host/beacon";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAC_REFILL_MS } from "../firmware/base/presence/beacon-acceptor";
import { encodeSchedule } from "../firmware/base/schedule/schedule";
import { parseIdentity } from "../firmware/tag/tag-storage";
import type { RunningBroker } from "../simulator/broker/broker";
import { startEmbeddedBroker } from "../simulator/broker/embedded-broker";
import { ReferenceReceiver } from "../simulator/centre/reference-receiver";
import { killEnginesIn, onEngineConsole } from "../tools/engines/engine-pty";
import { enginePath, enginesMissing } from "../tools/engines/engines";
import { EspruinoBoard } from "../tools/engines/espruino-board";
import { HomeUnitBench, QUICK_SIM800, socatMissing } from "../tools/engines/home-unit-bench";
import { buildShipped } from "../tools/engines/shipped-bundles";
import { main } from "../tools/lab/main";
import { DeviceRegister } from "../tools/lab/register/register";
import { captureStdout } from "../tools/lab/testing/capture-stdout";
import { benchFromEnv } from "./bench-config";
import { RelayFixture } from "./relay-fixture";

const ROOT_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const TAG = 0x00c0ffee;
const UNIT = 0x0000a11c;
const RESULTS = join(import.meta.dirname, "..", "hil-results");

const real = benchFromEnv();
const why =
  real !== null ? null : (enginesMissing(["espruino-puck", "espruino-jolt"]) ?? socatMissing());
if (why !== null) console.log("HIL suite on the virtual bench: skipped — " + why);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean, ms: number, log: () => string) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end)
      throw new Error(`timed out after ${ms} ms: ${what}\n${log().slice(-2000)}`);
    await sleep(50);
  }
}

/** Runs a lab command with the transcript of its output kept for the step. */
async function lab(step: string, args: string[]): Promise<number> {
  const { value, out } = await captureStdout(() => main(args));
  writeFileSync(join(RESULTS, step + ".log"), `$ lab ${args.join(" ")}\n${out}exit ${value}\n`);
  return value;
}

describe.skipIf(real !== null || why !== null)("HIL suite on the virtual bench", () => {
  let work: string;
  let tagDir: string;
  let unitDir: string;
  let db: string;
  let rootFile: string;
  let tagJs: string;
  let baseJs: string;
  let broker: RunningBroker;
  let receiver: ReferenceReceiver;
  let bench: HomeUnitBench | null = null;

  /** A lab command on the device's console, the virtual board power-cycled if the engine's
   * console trips (onEngineConsole); each attempt keeps its transcript. */
  const onConsole = (
    step: string,
    dir: string,
    engine: "espruino-puck" | "espruino-jolt",
    args: (tty: string) => string[],
  ): Promise<number> =>
    onEngineConsole(dir, enginePath(engine) ?? engine, (tty, attempt) =>
      lab(attempt === 1 ? step : `${step}-attempt${attempt}`, args(tty)),
    );

  beforeAll(async () => {
    // This run's transcripts only: a stale attempt log from an earlier run would mislead.
    for (const f of existsSync(RESULTS) ? readdirSync(RESULTS) : [])
      if (f.endsWith(".log")) rmSync(join(RESULTS, f));
    mkdirSync(RESULTS, { recursive: true });
    work = mkdtempSync(join(tmpdir(), "em-hil-"));
    tagDir = mkdtempSync(join(work, "tag-"));
    unitDir = mkdtempSync(join(work, "unit-"));
    db = join(work, "register.sqlite");
    rootFile = join(work, "root");
    writeFileSync(rootFile, ROOT_HEX);
    tagJs = await buildShipped("tag", work);
    baseJs = await buildShipped("base", work);
    broker = await startEmbeddedBroker();
    receiver = await ReferenceReceiver.start({
      url: broker.url,
      keyring: FleetKeyring.fromRoot(Buffer.from(ROOT_HEX, "hex"), [1]),
      clientId: "em-centre-hil",
    });
    expect(await lab("register-init", ["register", "init", "--db", db])).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await bench?.dispose();
    await receiver?.stop();
    await broker?.stop();
    if (work) {
      killEnginesIn(work);
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("flashes and verifies the tag", async () => {
    const flash = (tty: string) => ["flash", tty, tagJs, "--retries", "0"];
    expect(await onConsole("flash-tag", tagDir, "espruino-puck", flash)).toBe(0);
    const want = crc32(readFileSync(tagJs)) | 0;
    expect(new EspruinoBoard("espruino-puck", tagDir).storedCrc(".bootcde")).toBe(want);
  });

  it("flashes and verifies the home unit", async () => {
    // As base.js, not .bootcde: the Linux engine boots .bootcde at start-up, before the bench's
    // stubs for the hardware it lacks (the SIM800 on Serial1, BLE) exist, and segfaults on it.
    // The bench boots base.js itself, stubs first (HomeUnitBench.boot).
    const flash = (tty: string) => ["flash", tty, baseJs, "--name", "base.js", "--retries", "0"];
    expect(await onConsole("flash-unit", unitDir, "espruino-jolt", flash)).toBe(0);
    const want = crc32(readFileSync(baseJs)) | 0;
    expect(new EspruinoBoard("espruino-jolt", unitDir).storedCrc("base.js")).toBe(want);
  });

  it("provisions the tag, then the unit paired with it, and registers both", async () => {
    const common = ["--root-file", rootFile, "--db", db, "--firmware", "0.1.0", "--retries", "0"];
    const tag = (tty: string) => ["provision", "tag", tty, "--id", String(TAG), ...common];
    expect(await onConsole("provision-tag", tagDir, "espruino-puck", tag)).toBe(0);
    const net = ["--broker-host", "127.0.0.1", "--broker-port", String(broker.port)];
    const unit = (tty: string) => [
      "provision",
      "unit",
      tty,
      "--id",
      String(UNIT),
      "--tag",
      String(TAG),
      ...net,
      "--centre",
      "+37129000000",
      ...common,
    ];
    expect(await onConsole("provision-unit", unitDir, "espruino-jolt", unit)).toBe(0);
    const reg = await DeviceRegister.open(db, { operator: "hil" });
    expect(reg.get("unit", UNIT).pairedWith).toBe(TAG);
    reg.close();
  });

  it("boots what was flashed and comes online at the broker", async () => {
    bench = await HomeUnitBench.onBoard(unitDir, "base.js", {
      unitId: UNIT,
      tagId: TAG,
      latency: QUICK_SIM800,
    });
    const b = bench;
    await b.boot();
    await until(
      "online at the centre",
      () => receiver.status(UNIT)?.status === "online",
      60_000,
      () => b.tail(),
    );
    await until(
      "unit_boot verified",
      () => receiver.withCode(UNIT, EventCode.unitBoot).length > 0,
      30_000,
      () => b.tail(),
    );
    writeFileSync(join(RESULTS, "boot.log"), b.bootConsole);
  });

  /** The tag's beacons, signed with the key provisioned on the tag itself (what its firmware
   * signs with), counters from 100 up. */
  let tagFrame: ((flags: number, ageS: number) => Uint8Array) | null = null;
  /** An extended beacon (SPEC §4) as the tag sends it; `ageS`: how long ago the strap latched. */
  const beaconOf = (flags: number, ageS = 0): Uint8Array => {
    if (tagFrame === null) {
      const r = new EspruinoBoard("espruino-puck", tagDir).run(
        'print("B64 " + btoa(require("Storage").read("em.id")));',
      );
      const id = parseIdentity(
        new Uint8Array(Buffer.from(/B64 (\S+)/.exec(r.stdout)?.[1] ?? "", "base64")),
      );
      if (id === null) throw new Error("no identity on the tag");
      let counter = 100;
      tagFrame = (f, age) =>
        encodeBeaconHost(id.beaconKey, id.companyId, {
          tagId: id.tagId,
          counter: counter++,
          flags: f,
          batteryMv: 3000,
          keyVersion: id.keyVersion,
          strapLatchAgeS: age,
        });
    }
    return tagFrame(flags, ageS);
  };
  const latched = BeaconFlag.strapOpen | BeaconFlag.strapLatched;

  /** Sends a command from the centre and returns the result its command_ack carries. */
  const commandResult = async (b: HomeUnitBench, code: number, args: CborMap | null) => {
    const counter = await receiver.sendCommand(UNIT, code, args);
    await until(
      `command_ack of command ${code}`,
      () => receiver.acks(UNIT, counter).length > 0,
      20_000,
      () => b.tail(),
    );
    return receiver.acks(UNIT, counter)[0].data?.[3];
  };

  it("a strap cut reaches the centre verified as strap_tamper within 10 s", async () => {
    const b = bench;
    if (b === null) throw new Error("the unit did not boot");
    for (let i = 0; i < 3; i++) {
      b.beacon(beaconOf(0));
      await sleep(300);
    }
    const cutAt = Date.now();
    b.beacon(beaconOf(latched, 2)); // the burst's second frame: the strap opened 2 s before
    await until(
      "strap_tamper at the centre",
      () => receiver.withCode(UNIT, EventCode.strapTamper).length > 0,
      10_000,
      () => b.tail(),
    );
    const ms = Date.now() - cutAt;
    writeFileSync(
      join(RESULTS, "strap-cut.log"),
      `strap_tamper verified at the centre ${ms} ms after the cut\n`,
    );
    const ev = receiver.withCode(UNIT, EventCode.strapTamper)[0];
    expect(ev.tagId).toBe(TAG);
    expect(ev.data?.[1]).toBe(ev.time - 2); // placed at the cut, from the beacon's latch age
  });

  it("leaving range: with the near preset, beacons heard weaker than it end in left_home", async () => {
    const b = bench;
    if (b === null) throw new Error("the unit did not boot");
    // At the default (medium) preset only silence means absent: its leave threshold is below a
    // scanner's sensitivity. A flat gets near (10 m), set by the centre like any command.
    expect(await commandResult(b, CommandCode.setRangePreset, { 1: 1 })).toBe(AckResult.ok);
    // In range first (a quorum of strong sightings), then the subject walks into the garden:
    // the same tag heard at −93 dBm (below near's −89), one new frame a second (the unit's MAC
    // budget refills at that rate).
    for (let i = 0; i < 4; i++) {
      b.beacon(beaconOf(latched));
      await sleep(MAC_REFILL_MS + 10);
    }
    const left = () => receiver.withCode(UNIT, EventCode.leftHome).length > 0;
    for (let i = 0; i < 40 && !left(); i++) {
      b.beacon(beaconOf(latched), -93);
      await sleep(MAC_REFILL_MS + 10);
    }
    await until("left_home at the centre", left, 20_000, () => b.tail());
    expect(receiver.withCode(UNIT, EventCode.leftHome)[0].tagId).toBe(TAG);
  });

  it("mains pulled out and plugged back: mains_lost, then mains_restored", async () => {
    const b = bench;
    if (b === null) throw new Error("the unit did not boot");
    // The bench holds mains present from boot: nothing lost before this step.
    expect(receiver.withCode(UNIT, EventCode.mainsLost)).toEqual([]);
    b.setMains(false);
    await until(
      "mains_lost",
      () => receiver.withCode(UNIT, EventCode.mainsLost).length > 0,
      20_000,
      () => b.tail(),
    );
    b.setMains(true);
    await until(
      "mains_restored",
      () => receiver.withCode(UNIT, EventCode.mainsRestored).length > 0,
      20_000,
      () => b.tail(),
    );
  });

  it("a schedule downloaded from the centre is taken and acknowledged", async () => {
    const b = bench;
    if (b === null) throw new Error("the unit did not boot");
    const now = Math.floor(Date.now() / 1000);
    const schedule = encodeSchedule({
      version: 7,
      validFrom: now - 60,
      validTo: now + 14 * 86400,
      timeZone: "EET-2EEST,M3.5.0/3,M10.5.0/4",
      grace: 300,
      windows: [0, 1, 2, 3, 4, 5, 6].map((d) => ({
        weekday: d,
        start: 1200,
        length: 660,
        kind: 1,
      })),
    });
    expect(await commandResult(b, CommandCode.setSchedule, { 1: schedule })).toBe(AckResult.ok);
  });

  it("a command from the centre is executed and acknowledged", async () => {
    const b = bench;
    if (b === null) throw new Error("the unit did not boot");
    expect(await commandResult(b, CommandCode.requestStatus, null)).toBe(AckResult.ok);
  });

  it("a reboot loses nothing: every event the unit numbered reaches the centre", async () => {
    const b = bench;
    if (b === null) throw new Error("the unit did not boot");
    await b.kill();
    await b.boot();
    await until(
      "the second unit_boot",
      () => receiver.withCode(UNIT, EventCode.unitBoot).length >= 2,
      60_000,
      () => b.tail(),
    );
    expect(receiver.missingSeqs(UNIT, 0)).toEqual([]);
  });

  it.skip("re-arm over GATT: needs the tag ↔ unit radio bridged between the two interpreters (not built)", () => {});
});

describe.skipIf(real === null)("HIL suite on the real bench", () => {
  it.skipIf(real?.relay === undefined)(
    "the relay fixture opens and takes each channel's switch (listen for the clicks)",
    async () => {
      if (real?.relay === undefined) return;
      const relay = await RelayFixture.open(real.relay);
      try {
        for (const on of [true, false]) {
          await relay.openStrap(on);
          await sleep(500);
          await relay.cutMains(on);
          await sleep(500);
        }
      } finally {
        await relay.close();
      }
    },
  );
  it.skip("flash, provision and the alarm steps on real hardware: the steps that drive the relay fixture and a real board's boot step are not wired", () => {});
});
