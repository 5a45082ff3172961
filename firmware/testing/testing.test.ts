import { describe, expect, it } from "vitest";
import { createHardware, FakeBoard, FakeCrypto } from "./fake-board";
import { VirtualClock } from "./virtual-clock";
import { FILE_OVERHEAD, VirtualFlash } from "./virtual-flash";

const EPOCH = Date.UTC(2025, 0, 1);

describe("VirtualClock", () => {
  it("runs timers in time order, same-ms timers in the order they were set", () => {
    const c = new VirtualClock(EPOCH);
    const order: string[] = [];
    c.schedule(() => order.push("b@20"), 20, 0);
    c.schedule(() => order.push("a@10"), 10, 0);
    c.schedule(() => order.push("c@20"), 20, 0);
    c.advance(19);
    expect(order).toEqual(["a@10"]);
    expect(c.time).toBe(19);
    c.advance(1);
    expect(order).toEqual(["a@10", "b@20", "c@20"]);
  });

  it("repeats intervals, cancels, and reports pending timers", () => {
    const c = new VirtualClock(EPOCH);
    let n = 0;
    const id = c.schedule(() => n++, 100, 100);
    c.advance(1000);
    expect(n).toBe(10);
    c.cancel(id);
    c.cancel(id); // twice: ignored
    c.advance(1000);
    expect(n).toBe(10);
    expect(c.pending()).toBe(0);
  });

  it("runUntil stops as soon as the predicate holds, or at the limit", () => {
    const c = new VirtualClock(EPOCH);
    let fired = false;
    c.schedule(() => (fired = true), 5000, 0);
    expect(c.runUntil(() => fired, 4999)).toBe(false);
    expect(c.time).toBe(4999);
    expect(c.runUntil(() => fired, 10)).toBe(true);
    expect(c.time).toBe(5000);
  });

  it("a timer set from a timer callback for 0 ms runs in the same advance", () => {
    const c = new VirtualClock(EPOCH);
    let n = 0;
    c.schedule(() => c.schedule(() => n++, 0, 0), 10, 0);
    c.advance(10);
    expect(n).toBe(1);
  });
});

describe("VirtualFlash", () => {
  it("creates pre-sized files read back as erased 0xFF after the head", () => {
    const f = new VirtualFlash(4096);
    expect(f.create("log", 8, new Uint8Array([1, 2]))).toBe(true);
    expect(Array.from(f.read("log")!)).toEqual([1, 2, 255, 255, 255, 255, 255, 255]);
    expect(f.read("none")).toBeNull();
  });

  it("writes only into erased bytes, like Espruino Storage, and counts refusals", () => {
    const f = new VirtualFlash(4096);
    f.create("log", 8, new Uint8Array([1]));
    expect(f.writeAt("log", 1, new Uint8Array([7, 8]))).toBe(true);
    expect(f.writeAt("log", 2, new Uint8Array([9]))).toBe(false); // already written
    expect(f.writeAt("log", 7, new Uint8Array([1, 2]))).toBe(false); // past the end
    expect(f.violations).toBe(1);
    expect(Array.from(f.read("log")!)).toEqual([1, 7, 8, 255, 255, 255, 255, 255]);
    expect(() => f.writeAt("log", 0, new Uint8Array([1]))).toThrow(); // offset 0 recreates on Espruino
  });

  it("enforces 28-character names", () => {
    const f = new VirtualFlash(4096);
    expect(f.write("a".repeat(28), new Uint8Array([1]))).toBe(true);
    expect(() => f.write("a".repeat(29), new Uint8Array([1]))).toThrow();
  });

  it("counts writes, bytes, erases and garbage; compacts when full", () => {
    const f = new VirtualFlash(4 * (FILE_OVERHEAD + 16));
    for (let i = 0; i < 3; i++) expect(f.write("rec", new Uint8Array(16))).toBe(true);
    expect(f.writes).toBe(3);
    expect(f.bytesWritten).toBe(48);
    expect(f.erases).toBe(2);
    expect(f.garbage()).toBe(2 * (FILE_OVERHEAD + 16));
    expect(f.write("rec", new Uint8Array(16))).toBe(true);
    expect(f.write("rec", new Uint8Array(16))).toBe(true); // needs a compaction
    expect(f.compactions).toBe(1);
    expect(f.writesByName.rec).toBe(5);
  });

  it("after a power cut nothing more reaches flash, half-written files stay half-written", () => {
    const f = new VirtualFlash(4096);
    f.cutPowerAfter(3); // header + 2 bytes
    expect(f.create("x", 4, new Uint8Array([1, 2, 3, 4]))).toBe(false);
    f.restorePower();
    expect(Array.from(f.read("x")!)).toEqual([1, 2, 255, 255]);
  });
});

describe("FakeBoard", () => {
  it("debounces inputs like setWatch and reports monotonic times", () => {
    const world = new VirtualClock(EPOCH);
    const hw = createHardware(world, new VirtualFlash(40960), 1);
    world.advance(1000);
    const b = new FakeBoard(hw, 0);
    const seen: [boolean, number][] = [];
    b.strap.watch(10, (level, at) => seen.push([level, at]));
    b.strap.set(false);
    world.advance(5);
    b.strap.set(true); // bounce shorter than 10 ms: never reported
    world.advance(50);
    b.strap.set(false);
    world.advance(50);
    expect(seen).toEqual([[false, 65]]);
  });

  it("a reboot kills the boot's timers and restarts monotonic time; wall time goes on", () => {
    const world = new VirtualClock(EPOCH);
    const hw = createHardware(world, new VirtualFlash(40960), 1);
    const b0 = new FakeBoard(hw, 0);
    let n = 0;
    b0.clock.setInterval(() => n++, 100);
    world.advance(1000);
    const b1 = b0.reboot();
    world.advance(1000);
    expect(n).toBe(10);
    expect(b1.clock.monotonic()).toBe(1000);
    expect(b1.clock.now()).toBe(EPOCH + 2000);
    b1.clock.setNow(EPOCH + 5000);
    expect(b1.clock.now()).toBe(EPOCH + 5000);
    expect(b1.clock.monotonic()).toBe(1000);
  });

  it("the watchdog bites when not kicked within its timeout", () => {
    const world = new VirtualClock(EPOCH);
    const b = new FakeBoard(createHardware(world, new VirtualFlash(40960), 1), 0);
    b.watchdog.start(1000);
    world.advance(900);
    b.watchdog.kick();
    world.advance(900);
    expect(b.watchdog.bitten).toBe(false);
    world.advance(200);
    expect(b.watchdog.bitten).toBe(true);
  });

  it("random bytes are deterministic per seed and spread over all values", () => {
    const a = new FakeCrypto(42).randomBytes(4096);
    const b = new FakeCrypto(42).randomBytes(4096);
    expect(Array.from(a)).toEqual(Array.from(b));
    const counts = new Array(256).fill(0);
    for (const x of a) counts[x]++;
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });
});
