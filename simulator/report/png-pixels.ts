// Just enough PNG to read a screenshot back: 8-bit greyscale, RGB or RGBA, not interlaced (what
// Chromium writes), every scanline filter (PNG spec §9). For the report's browser check: is the
// rendered page more than a blank sheet?

import { inflateSync } from "node:zlib";

export interface Pixels {
  width: number;
  height: number;
  /** Bytes per pixel: 1 grey, 3 RGB, 4 RGBA. */
  channels: number;
  data: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 6: 4 };

export function readPng(png: Uint8Array): Pixels {
  if (SIGNATURE.some((b, i) => png[i] !== b)) throw new Error("not a PNG");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  for (let p = 8; p + 8 <= png.length; ) {
    const len = view.getUint32(p);
    const type = String.fromCharCode(...png.subarray(p + 4, p + 8));
    const body = png.subarray(p + 8, p + 8 + len);
    if (type === "IHDR") {
      width = view.getUint32(p + 8);
      height = view.getUint32(p + 12);
      const depth = body[8];
      channels = CHANNELS[body[9]] ?? 0;
      if (depth !== 8 || channels === 0 || body[12] !== 0)
        throw new Error(
          `unsupported PNG: depth ${depth}, colour type ${body[9]}, interlace ${body[12]}`,
        );
    } else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
    p += 12 + len;
  }
  if (width === 0) throw new Error("PNG without IHDR");
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const data = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? data[row + x - channels] : 0;
      const b = y > 0 ? data[row - stride + x] : 0;
      const c = x >= channels && y > 0 ? data[row - stride + x - channels] : 0;
      let v = src[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`PNG filter ${filter} on row ${y}`);
      data[row + x] = v & 255;
    }
  }
  return { width, height, channels, data };
}

/** The share of pixels that are not (near) white, and how many distinct colours there are. */
export function inkOf(p: Pixels): { inked: number; colours: number } {
  let inked = 0;
  const colours = new Set<number>();
  for (let i = 0; i < p.width * p.height; i++) {
    const o = i * p.channels;
    const r = p.data[o];
    const g = p.channels >= 3 ? p.data[o + 1] : r;
    const b = p.channels >= 3 ? p.data[o + 2] : r;
    if (r < 240 || g < 240 || b < 240) inked++;
    if (colours.size < 1000) colours.add((r << 16) | (g << 8) | b);
  }
  return { inked: inked / (p.width * p.height), colours: colours.size };
}
