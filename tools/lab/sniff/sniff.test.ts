// lab sniff: what it makes of a capture (genuine beacons and their radio repeats, a forged frame,
// a replayed one, a neighbour's tag, another company's adverts, garbage), the trace format both
// ways, the replay command end to end, and no Bluetooth — no noble, or no adapter — as a clear
// error at once instead of a hang.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBeacon } from "@em-platform/protocol/core/beacon";
import { fromHex } from "@em-platform/protocol/core/bytes";
import { deriveKey, KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { ROOT, ROOT_HEX } from "@em-platform/protocol/vectors/cases";
import { describe, expect, it } from "vitest";
import { type Advert, readTrace, traceLine } from "../../../simulator/radio/advert-trace";
import { main } from "../main";
import { captureStdout } from "../testing/capture-stdout";
import { type NobleLike, type NoblePeripheral, startBleScan } from "./ble-scan";
import { describeFrame, SniffTable } from "./sniff-table";

const OUR = 0xc0ffee;
const NEIGHBOUR = 0xc0fff0;
const keyring = FleetKeyring.fromRoot(ROOT, [1]);
const beacon = (tag: number, counter: number, flags = 0) =>
  encodeBeacon(sha256, deriveKey(sha256, ROOT, KeyPurpose.tagBeacon, tag, 1), 0xffff, {
    tagId: tag,
    counter,
    flags,
    batteryMv: 3000,
    keyVersion: 1,
  });
const at = (
  ms: number,
  data: Uint8Array,
  companyId = 0xffff,
  address = "c0:ff:ee:00:00:01",
): Advert => ({
  atMs: ms,
  address,
  rssi: -60,
  companyId,
  data,
});

function capture(): Advert[] {
  const forged = beacon(OUR, 12, 3);
  forged[19] ^= 1;
  return [
    at(0, beacon(OUR, 10)),
    at(20, beacon(OUR, 10)), // the same frame again on another channel
    at(8000, beacon(OUR, 11)),
    at(9000, forged), // "strap cut", with a MAC nobody could make
    at(9500, beacon(OUR, 10)), // recorded earlier, played back
    at(10000, beacon(NEIGHBOUR, 500), 0xffff, "c0:ff:f0:00:00:02"),
    at(11000, new Uint8Array([1, 2, 3])), // someone else's advert under our company id
    at(12000, beacon(OUR, 13), 0x004c), // another company's id: not ours to show
  ];
}

describe("lab sniff", () => {
  it("verifies and classifies every frame, and keeps rejected frames out of a tag's row", () => {
    const t = new SniffTable(0xffff, keyring);
    const verdicts = capture().map((a) => t.feed(a)?.verdict ?? "not shown");
    expect(verdicts).toEqual([
      "ok",
      "duplicate",
      "ok",
      "bad_mac",
      "replay",
      "ok",
      "truncated",
      "not shown",
    ]);
    const [ours, neighbour] = t.table();
    expect(ours).toMatchObject({ tagId: OUR, counter: 11, flags: [], frames: 5, rejected: 2 });
    expect(neighbour).toMatchObject({ tagId: NEIGHBOUR, counter: 500, rejected: 0 });
  });

  it("without the root nothing is called valid; --tag shows one tag", () => {
    const blind = new SniffTable(0xffff, null);
    expect(
      capture()
        .slice(0, 4)
        .map((a) => blind.feed(a)?.verdict),
    ).toEqual(["unverified", "unverified", "unverified", "unverified"]);
    const one = new SniffTable(0xffff, keyring, NEIGHBOUR);
    expect(
      capture()
        .map((a) => one.feed(a)?.tagId ?? null)
        .filter((x) => x !== null),
    ).toEqual([NEIGHBOUR]);
  });

  it("reads every golden beacon vector as ok under its company id", () => {
    const v = JSON.parse(
      readFileSync(new URL("../../../protocol/vectors/beacon.json", import.meta.url), "utf8"),
    );
    for (const b of v.vectors) {
      const t = new SniffTable(b.companyId, keyring);
      expect(t.feed(at(0, fromHex(b.hex)!, b.companyId))?.verdict, b.name).toBe("ok");
    }
  });

  it("shows when an extended beacon's strap was cut", () => {
    const v = JSON.parse(
      readFileSync(new URL("../../../protocol/vectors/beacon.json", import.meta.url), "utf8"),
    );
    const line = (name: string) => {
      const b = v.vectors.find((x: { name: string }) => x.name.startsWith(name));
      const f = new SniffTable(b.companyId, keyring).feed(at(0, fromHex(b.hex)!, b.companyId))!;
      return describeFrame(f);
    };
    expect(line("extended beacon: strap cut 4 h")).toContain(
      "strap-latched  bat 3000 mV  kv 1  cut 4h00m02s ago  ok",
    );
    expect(line("extended beacon: latched before")).toContain("cut ? ago");
    expect(line("extended beacon, nothing latched")).not.toContain("cut");
  });

  it("shows which freshness challenge an extended beacon answers, and how many frames since", () => {
    const v = JSON.parse(
      readFileSync(new URL("../../../protocol/vectors/beacon.json", import.meta.url), "utf8"),
    );
    const line = (name: string) => {
      const b = v.vectors.find((x: { name: string }) => x.name.startsWith(name));
      return describeFrame(
        new SniffTable(b.companyId, keyring).feed(at(0, fromHex(b.hex)!, b.companyId))!,
      );
    };
    expect(line("extended beacon answering challenge 0xB7E0")).toContain(
      "challenge 0xb7e0, 3 frames since  ok",
    );
    // Not challenged since boot (echo 0), or a v1 beacon without the field: nothing shown.
    expect(line("extended beacon, nothing latched")).not.toContain("challenge");
    expect(line("normal beacon")).not.toContain("challenge");
  });

  it("writes and reads its trace, and names every line that is not an advertisement", () => {
    const text = capture().map(traceLine).join("");
    expect(readTrace(text)).toEqual({ adverts: capture(), bad: [] });
    const r = readTrace(
      text +
        "not json\n" +
        '{"t":-1}\n' +
        '{"t":1,"address":"x","rssi":-1,"companyId":65535,"data":"zz"}\n\n',
    );
    expect(r.adverts).toHaveLength(capture().length);
    expect(r.bad).toEqual([
      "line 9: not JSON",
      'line 10: "t" is not a number of ms ≥ 0',
      'line 11: "data" is not hex',
    ]);
  });

  it("lab sniff --replay: a line per frame, a table, exit 1 when the trace had bad lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sniff-"));
    try {
      const trace = join(dir, "t.jsonl");
      const root = join(dir, "root");
      writeFileSync(trace, capture().map(traceLine).join(""));
      writeFileSync(root, ROOT_HEX);
      const { out } = await captureStdout(async () => {
        expect(await main(["sniff", "--replay", trace, "--root-file", root])).toBe(0);
        writeFileSync(trace, "garbage\n", { flag: "a" });
        expect(await main(["sniff", "--replay", trace, "--root-file", root])).toBe(1);
      });
      expect(out).toContain("bad_mac");
      // the last frame of the tag was the replay; its row keeps the last true counter, 11
      expect(out).toContain("| 0x00c0ffee | c0:ff:ee:00:00:01 | -60 | 11 | - | 5 | 2 | replay |");
      expect(out).not.toContain(ROOT_HEX);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("no noble, or no adapter: no-bluetooth at once, not a hang", async () => {
    const missing = () => Promise.reject(new Error("Cannot find package '@stoprocent/noble'"));
    await expect(startBleScan(() => {}, 5000, missing)).rejects.toMatchObject({
      code: "no-bluetooth",
    });
    const off = fakeNoble("poweredOff");
    await expect(
      startBleScan(
        () => {},
        50,
        async () => off.noble,
      ),
    ).rejects.toMatchObject({
      code: "no-bluetooth",
      message: expect.stringContaining("poweredOff"),
    });
    const unsupported = fakeNoble("unknown");
    const p = startBleScan(
      () => {},
      60_000,
      async () => unsupported.noble,
    );
    unsupported.state("unsupported"); // what noble says on a machine without an adapter
    await expect(p).rejects.toMatchObject({ code: "no-bluetooth" });
  });

  it("a ready adapter's advertisements arrive as company id and payload", async () => {
    const on = fakeNoble("poweredOn");
    const got: Advert[] = [];
    const s = await startBleScan(
      (a) => got.push(a),
      50,
      async () => on.noble,
    );
    const data = beacon(OUR, 7);
    on.discover({
      address: "c0:ff:ee:00:00:01",
      rssi: -55,
      advertisement: { manufacturerData: new Uint8Array([0xff, 0xff, ...data]) },
    });
    on.discover({ address: "x", rssi: -90, advertisement: {} }); // no manufacturer data
    await s.stop();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ companyId: 0xffff, rssi: -55, data });
    expect(on.scanning()).toBe(false);
  });
});

function fakeNoble(initial: string) {
  const listeners: Record<string, ((x: never) => void)[]> = {};
  let scanning = false;
  const noble = {
    state: initial,
    on(event: string, fn: (x: never) => void) {
      (listeners[event] ??= []).push(fn);
    },
    async startScanningAsync() {
      scanning = true;
    },
    async stopScanningAsync() {
      scanning = false;
    },
  } as unknown as NobleLike;
  return {
    noble,
    state(s: string) {
      (noble as { state: string }).state = s;
      for (const f of listeners.stateChange ?? []) f(s as never);
    },
    discover(p: NoblePeripheral) {
      for (const f of listeners.discover ?? []) f(p as never);
    },
    scanning: () => scanning,
  };
}
