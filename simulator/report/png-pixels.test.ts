// The screenshot reader: pixels back from a PNG whose rows use each of the five filters.

import { deflateSync } from "node:zlib";
import { expect, it } from "vitest";
import { inkOf, readPng } from "./png-pixels";

function chunk(type: string, body: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + body.length);
  b.writeUInt32BE(body.length, 0);
  b.write(type, 4, "latin1");
  Buffer.from(body).copy(b, 8);
  return b; // the reader does not check CRCs
}

/** A 3 × 5 RGB PNG: row y filtered with filter y (0 none, 1 sub, 2 up, 3 average, 4 Paeth). */
function png(rows: number[][]): Buffer {
  const w = rows[0].length / 3;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(rows.length, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw: number[] = [];
  rows.forEach((row, y) => {
    raw.push(y);
    row.forEach((v, x) => {
      const a = x >= 3 ? row[x - 3] : 0;
      const b = y > 0 ? rows[y - 1][x] : 0;
      const c = x >= 3 && y > 0 ? rows[y - 1][x - 3] : 0;
      const paeth = () => {
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      };
      const pred = [0, a, b, (a + b) >> 1, paeth()][y];
      raw.push((v - pred) & 255);
    });
  });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.from(raw))),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

it("reads pixels through every filter, and counts ink", () => {
  const rows = [
    [255, 255, 255, 10, 20, 30, 200, 100, 50],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
    [250, 251, 252, 0, 0, 0, 128, 64, 32],
    [90, 80, 70, 60, 50, 40, 30, 20, 10],
    [255, 255, 255, 255, 255, 255, 17, 34, 51],
  ];
  const p = readPng(png(rows));
  expect([p.width, p.height, p.channels]).toEqual([3, 5, 3]);
  expect(Array.from(p.data)).toEqual(rows.flat());
  const ink = inkOf(p);
  expect(ink.inked).toBeCloseTo(11 / 15);
  expect(ink.colours).toBe(13);
  expect(() => readPng(new Uint8Array(20))).toThrow(/not a PNG/);
});
