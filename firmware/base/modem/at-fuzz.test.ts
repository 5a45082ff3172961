// Fuzz of the AT line parser and engine: 100,000 parser inputs and 10,000 engine sessions from a
// seeded PRNG (reproducible: a failure prints its case number), built from random bytes and
// mutated fragments of real SIM800 traffic.

import { describe, expect, it } from "vitest";
import { FakeClock } from "../../testing/fake-board";
import { VirtualClock } from "../../testing/virtual-clock";
import { AtEngine, type AtResult, atCommand } from "./at-engine";
import { AtDiscard, AtLineParser } from "./at-line-parser";
import { fieldsAfterColon, parseCount } from "./modem-dialect";
import { bytesOf } from "./testing/scripted-uart";

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 69069 + 1) >>> 0;
    return (s >>> 8) / 16777216;
  };
}

const PIECES = [
  "\r\n",
  "\r",
  "\n",
  "OK",
  "ERROR",
  "+CME ERROR: 10",
  "+CMS ERROR: 500",
  "> ",
  ">",
  "+CIPRXGET: 2,5,0",
  "+CIPRXGET: 2,0,0",
  "+CIPRXGET: 2,99999,0",
  "+CIPRXGET: 2,-1,0",
  "+CIPRXGET: 2,x",
  "+CIPRXGET: 1",
  "+CSQ: 20,0",
  "+CREG: 1",
  "RING",
  "SEND OK",
  "SEND FAIL",
  "CLOSED",
  "\x00",
  "\xff",
  "\x1a",
  "hello",
  "A".repeat(300),
];

function soup(r: () => number, parts: number): string {
  let s = "";
  for (let i = 0; i < parts; i++) {
    const k = r();
    if (k < 0.25) {
      const n = 1 + Math.floor(r() * 8);
      for (let j = 0; j < n; j++) s += String.fromCharCode(Math.floor(r() * 256));
    } else s += PIECES[Math.floor(r() * PIECES.length)];
  }
  return s;
}

function chunks(r: () => number, s: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < s.length) {
    const n = 1 + Math.floor(r() * 16);
    out.push(bytesOf(s.substring(i, i + n)));
    i += n;
  }
  return out;
}

describe("AT fuzz", () => {
  it("parser: 100,000 inputs, no throw, typed discards, every byte accounted for", () => {
    const r = prng(0x5eed);
    const reasons: { [k: number]: number } = {};
    for (let c = 0; c < 100000; c++) {
      let p: AtLineParser | null = null;
      const sink = {
        line: (s: string) => {
          if (s.length === 0 || s.length > 64) throw new Error("case " + c + ": bad line length");
          const q = p as AtLineParser;
          if (s.substring(0, 13) === "+CIPRXGET: 2,")
            q.expectData(parseCount(fieldsAfterColon(s)[1]));
          if (s === "+CSQ: 20,0") q.armPrompt(true);
        },
        prompt: () => {},
        data: (_b: Uint8Array) => {},
        discard: (reason: number, n: number) => {
          if (
            reason !== AtDiscard.garbage &&
            reason !== AtDiscard.overflow &&
            reason !== AtDiscard.aborted
          )
            throw new Error("case " + c + ": untyped discard");
          if (!(n > 0)) throw new Error("case " + c + ": empty discard");
          reasons[reason] = (reasons[reason] || 0) + 1;
        },
      };
      p = new AtLineParser(sink, 64, 32);
      const parts = chunks(r, soup(r, 1 + Math.floor(r() * 12)));
      for (let i = 0; i < parts.length; i++) {
        p.push(parts[i]);
        // A command timing out mid-line or mid-block.
        if (r() < 0.05) p.reset();
      }
      const s = p.stats;
      const accounted = s.lineBytes + s.framingBytes + s.dataBytes + s.discardedBytes + p.pending();
      if (accounted !== s.bytesIn) throw new Error("case " + c + ": bytes unaccounted");
    }
    expect(reasons[AtDiscard.garbage]).toBeGreaterThan(1000);
    expect(reasons[AtDiscard.overflow]).toBeGreaterThan(1000);
    expect(reasons[AtDiscard.aborted]).toBeGreaterThan(100);
  });

  it("engine: 10,000 sessions; every command ends exactly once, then a clean command succeeds", () => {
    const r = prng(0xa7);
    for (let c = 0; c < 10000; c++) {
      const world = new VirtualClock(0);
      const clock = new FakeClock(world);
      let feed: (b: Uint8Array) => void = () => {};
      const engine = new AtEngine({
        uart: { write: () => {}, onData: (fn) => (feed = fn) },
        clock: clock,
        maxLine: 64,
        maxData: 32,
        settleMs: 100,
      });
      engine.onUrc((line) => line === "RING");
      const ends = [0, 0, 0];
      const plain = atCommand("AT+CSQ", 1000, 1);
      plain.claims = ["+CSQ:"];
      plain.done = () => ends[0]++;
      const send = atCommand("AT+CIPSEND=5", 1000, 0);
      send.payload = bytesOf("hello");
      send.ends = ["SEND OK"];
      send.fails = ["SEND FAIL"];
      send.done = () => ends[1]++;
      const read = atCommand("AT+CIPRXGET=2,32", 1000, 1);
      read.claims = ["+CIPRXGET: 2,"];
      read.rawAfter = "+CIPRXGET: 2,";
      read.rawLength = (line) => parseCount(fieldsAfterColon(line)[1] || "");
      read.done = () => ends[2]++;
      engine.send(plain);
      engine.send(send);
      engine.send(read);
      const parts = chunks(r, soup(r, 4 + Math.floor(r() * 20)));
      for (let i = 0; i < parts.length; i++) {
        feed(parts[i]);
        world.advance(Math.floor(r() * 400));
      }
      world.advance(10000);
      if (ends[0] !== 1 || ends[1] !== 1 || ends[2] !== 1)
        throw new Error("case " + c + ": ends " + ends.join(","));
      // Recovery: the modem's next response starts with a line end, like every response.
      feed(bytesOf("\r\n"));
      let result: AtResult | null = null;
      const probe = atCommand("AT+CSQ", 1000, 0);
      probe.claims = ["+CSQ:"];
      probe.done = (res) => (result = res);
      engine.send(probe);
      feed(bytesOf("\r\n+CSQ: 20,0\r\n\r\nOK\r\n"));
      world.advance(2000);
      const res = result as AtResult | null;
      if (res === null || !res.ok || res.lines.indexOf("+CSQ: 20,0") < 0)
        throw new Error("case " + c + ": no recovery " + JSON.stringify(res));
    }
  });
});
