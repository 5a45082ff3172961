// The upload protocol's exact bytes, against @serialport/binding-mock: a scripted "device"
// answers each line's acknowledgement, and the test asserts what went down the wire.

import { crc32 } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { LabError } from "./errors";
import {
  byteLiteral,
  chunkCrcsExpr,
  chunkExprs,
  commandLine,
  flashOver,
  resumableChunks,
} from "./espruino";
import { type Answer, MockBinding, mockDevice } from "./testing/mock-espruino";

/** Reads back a byteLiteral() string. */
function unliteral(lit: string): string {
  return lit
    .slice(1, -1)
    .replace(/\\(x[0-9a-f]{2}|.)/g, (_, e: string) =>
      e.length === 3 ? String.fromCharCode(Number.parseInt(e.slice(1), 16)) : e,
    );
}

afterEach(() => MockBinding.reset());

describe("the upload protocol's lines", () => {
  it("escapes quotes, backslashes and control bytes, byte for byte", () => {
    expect(byteLiteral('a"b\\c\n\x10\xff')).toBe('"a\\"b\\\\c\\x0a\\x10\\xff"');
  });

  it("acknowledged lines are DLE-prefixed and carry their id outside the source text", () => {
    expect(commandLine(7, "1+2")).toBe(
      '\x10try{print("<<"+"EM 7 "+(1+2)+">>")}catch(e){print("<<"+"EM 7 "+"!"+e+">>")}\n',
    );
  });

  it("chunks: the first with the total size, then at their offsets", () => {
    const data = "x".repeat(1024) + 'y"';
    expect(chunkExprs("a~", data)).toEqual([
      `require("Storage").write("a~","${"x".repeat(1024)}",0,1026)`,
      `require("Storage").write("a~","y\\"",1024)`,
    ]);
  });
});

describe("flash over a mock port", () => {
  const bundle = 'print("hi");\n' + "z".repeat(1100);
  const crc = crc32(Buffer.from(bundle, "latin1")) >>> 0;

  /** A device whose Storage is `files`: a write with a total size allocates the file as erased
   * flash (0xFF) and fills its chunk, a write at an offset fills that chunk. */
  function honest(free = 40960, freeVars = 2200, files = new Map<string, string>()): Answer {
    return (expr) => {
      if (expr.startsWith("process.env.VERSION")) return `2v29 PUCKJS ${free} ${freeVars}`;
      if (expr === 'require("Storage").getFree()') return String(free);
      let m = /^require\("Storage"\)\.erase\("([^"]+)"\)$/.exec(expr);
      if (m) {
        files.delete(m[1]);
        return "undefined";
      }
      m = /^require\("Storage"\)\.write\("([^"]+)",("(?:[^"\\]|\\.)*"),(\d+)(?:,(\d+))?\)$/.exec(
        expr,
      );
      if (m) {
        const text = unliteral(m[2]);
        const off = Number(m[3]);
        const was = m[4] !== undefined ? "\xff".repeat(Number(m[4])) : (files.get(m[1]) ?? "");
        files.set(m[1], was.slice(0, off) + text + was.slice(off + text.length));
        return "true";
      }
      m =
        /^\(function\(f\)\{if\(f===undefined\|\|f\.length!==(\d+)\)return"none";.*o\+=(\d+)\).*read\("([^"]+)"\)\)$/.exec(
          expr,
        );
      if (m) {
        const f = files.get(m[3]);
        if (f === undefined || f.length !== Number(m[1])) return "none";
        const step = Number(m[2]);
        const crcs: number[] = [];
        for (let o = 0; o < f.length; o += step)
          crcs.push(crc32(Buffer.from(f.slice(o, o + step), "latin1")) >>> 0);
        return crcs.join(" ");
      }
      m = /^require\("Storage"\)\.write\("([^"]+)",require\("Storage"\)\.read\("([^"]+)"\)\)$/.exec(
        expr,
      );
      if (m) {
        files.set(m[1], files.get(m[2]) ?? "");
        return "true";
      }
      m = /read\("([^"]+)"\)\)$/.exec(expr);
      if (m) {
        const f = files.get(m[1]);
        return f === undefined ? "none" : `${f.length} ${crc32(Buffer.from(f, "latin1")) >>> 0}`;
      }
      return "!unexpected " + expr;
    };
  }

  it("a board with room for longer lines (a Jolt.js) gets 2 KB chunks, a small one 1 KB", async () => {
    const big = "q".repeat(5000);
    const roomy = await mockDevice(honest(409600, 11800));
    const r = await flashOver(roomy.port, big, { name: "b.js", baudRate: 10_000_000 });
    expect(r.chunks).toBe(3);
    expect(roomy.sent()).toContain(`write("b.js~","${"q".repeat(2048)}",0,5000)`);
    const small = await mockDevice(honest(409600, 2200));
    expect((await flashOver(small.port, big, { name: "b.js", baudRate: 10_000_000 })).chunks).toBe(
      5,
    );
  });

  it("refuses another board before writing anything (wrong-board)", async () => {
    const { port, sent } = await mockDevice(honest());
    await expect(
      flashOver(port, bundle, { name: "app.js", baudRate: 10_000_000, boards: ["JOLTJS"] }),
    ).rejects.toMatchObject({ code: "wrong-board", message: expect.stringContaining("PUCKJS") });
    expect(sent()).not.toContain('Storage").erase');
    expect(sent()).not.toContain('Storage").write');
  });

  it("an interrupted upload resumes: the chunks written are kept, only the rest is sent", async () => {
    const files = new Map<string, string>();
    const data = "r".repeat(1000) + "s".repeat(1000) + "t".repeat(900);
    const device = honest(40960, 2200, files);
    let writes = 0;
    // The first session's device dies while the third chunk arrives: no acknowledgement, and
    // that chunk is never written.
    const first = await mockDevice((e) =>
      /\.write\("b\.js~","/.test(e) && ++writes === 3 ? null : device(e),
    );
    const cut = await flashOver(first.port, data, {
      name: "b.js",
      baudRate: 10_000_000,
      timeouts: { line: 300 },
    }).catch((e) => e);
    expect((cut as LabError).code).toBe("upload-interrupted");
    expect(files.get("b.js")).toBeUndefined();
    MockBinding.reset();
    const second = await mockDevice(device);
    const r = await flashOver(second.port, data, { name: "b.js", baudRate: 10_000_000 });
    expect(r).toMatchObject({ chunks: 3, kept: 2 });
    expect(files.get("b.js")).toBe(data);
    expect(second.sent()).not.toContain('erase(\\"b.js~\\")\n');
    expect(second.sent().match(/\.write\("b\.js~",/g)).toHaveLength(1);
    expect(second.sent()).toContain(`"${"t".repeat(852)}",2048)`);
  });

  it("a temporary file of another bundle, or a chunk neither right nor blank, is sent again whole", async () => {
    const data = "r".repeat(1000) + "s".repeat(1000);
    const crcs = (a: string, b: string) =>
      [a, b].map((x) => crc32(Buffer.from(x, "latin1")) >>> 0).join(" ");
    expect(resumableChunks(crcs("r".repeat(1000), "\xff".repeat(1000)), data, 1000)).toBe(1);
    expect(resumableChunks(crcs("r".repeat(1000), "x".repeat(1000)), data, 1000)).toBe(0);
    expect(resumableChunks(crcs("q".repeat(1000), "\xff".repeat(1000)), data, 1000)).toBe(0);
    expect(resumableChunks("none", data, 1000)).toBe(0);
    expect(resumableChunks(crcs("r".repeat(1000), "s".repeat(1000)), data, 1000)).toBe(2);
  });

  it("sends exactly: Ctrl-C, echo(0), identify, earlier upload?, erase temp, free, 2 chunks, verify, commit", async () => {
    const { port, sent } = await mockDevice(honest());
    const r = await flashOver(port, bundle, { name: "app.js", baudRate: 10_000_000 });
    expect(r).toMatchObject({ name: "app.js", bytes: bundle.length, crc, chunks: 2 });
    expect(r.device).toEqual({
      version: "2v29",
      board: "PUCKJS",
      storageFree: 40960,
      freeVars: 2200,
    });
    const S = 'require("Storage")';
    const lines = [
      'process.env.VERSION+" "+process.env.BOARD+" "+require("Storage").getFree()+" "+process.memory().free',
      chunkCrcsExpr("app.js~", bundle.length, 1024),
      `${S}.erase("app.js~")`,
      `${S}.getFree()`,
      `${S}.write("app.js~",${byteLiteral(bundle.slice(0, 1024))},0,${bundle.length})`,
      `${S}.write("app.js~",${byteLiteral(bundle.slice(1024))},1024)`,
      `(function(f){return f===undefined?"none":f.length+" "+(E.CRC32(f)>>>0)})(${S}.read("app.js~"))`,
      `${S}.erase("app.js")`,
      `${S}.write("app.js",${S}.read("app.js~"))`,
      `(function(f){return f===undefined?"none":f.length+" "+(E.CRC32(f)>>>0)})(${S}.read("app.js"))`,
      `${S}.erase("app.js~")`,
    ];
    expect(sent()).toBe("\x03\x10echo(0)\n" + lines.map((l, i) => commandLine(i + 1, l)).join(""));
    expect(sent()).toContain('print(\\"hi\\");\\x0az');
  });

  it("a temporary file that reads back wrong is verify-failed, and the target is never touched", async () => {
    const base = honest();
    const { port, sent } = await mockDevice((e) =>
      /read\("app.js~"\)\)$/.test(e) ? "1124 1" : base(e),
    );
    const err = await flashOver(port, bundle, { name: "app.js", baudRate: 10_000_000 }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe("verify-failed");
    expect(sent()).not.toContain('erase(\\"app.js\\")');
    expect(sent()).not.toMatch(/erase\("app\.js"\)/);
  });

  it("too little Storage (after a compact) is out-of-storage before anything is written", async () => {
    const base = honest(1000);
    const { port, sent } = await mockDevice((e) =>
      e.endsWith(".compact()") ? "undefined" : base(e),
    );
    const err = await flashOver(port, bundle, { baudRate: 10_000_000 }).catch((e) => e);
    expect((err as LabError).code).toBe("out-of-storage");
    expect(sent()).toContain('require("Storage").compact()');
    expect(sent()).not.toContain(".write(");
  });

  it("silence is no-answer; a reply without the acknowledgement is not-espruino", async () => {
    const quiet = await mockDevice(() => null);
    const e1 = await flashOver(quiet.port, bundle, {
      baudRate: 10_000_000,
      timeouts: { hello: 300 },
    }).catch((e) => e);
    expect((e1 as LabError).code).toBe("no-answer");
    MockBinding.reset();
    const odd = await mockDevice(() => null);
    odd.port.port!.emitData("OK\r\nERROR\r\n");
    const e2 = await flashOver(odd.port, bundle, {
      baudRate: 10_000_000,
      timeouts: { hello: 300 },
    }).catch((e) => e);
    expect((e2 as LabError).code).toBe("not-espruino");
  });
});
