// Pure-JS SHA-256 (FIPS 180-4) for boards without one in firmware and for the engine-neutral
// self-test. Devices that have `require("crypto").SHA256` inject that instead (see crypto.ts).
// State and schedule buffers are allocated once: this runs on every beacon.

export type Sha256 = (data: Uint8Array) => Uint8Array;

// A typed array: 64 numbers in a plain array cost ~130 variables on Espruino, these ~20.
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const W = new Int32Array(64);
const H = new Int32Array(8);

function compress(block: Uint8Array, off: number): void {
  for (let t = 0; t < 16; t++) {
    const p = off + 4 * t;
    W[t] = (block[p] << 24) | (block[p + 1] << 16) | (block[p + 2] << 8) | block[p + 3];
  }
  for (let t = 16; t < 64; t++) {
    const x = W[t - 15];
    const y = W[t - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
  }
  let a = H[0];
  let b = H[1];
  let c = H[2];
  let d = H[3];
  let e = H[4];
  let f = H[5];
  let g = H[6];
  let h = H[7];
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t] + W[t]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
  H[5] = (H[5] + f) | 0;
  H[6] = (H[6] + g) | 0;
  H[7] = (H[7] + h) | 0;
}

export function sha256(data: Uint8Array): Uint8Array {
  H[0] = 0x6a09e667;
  H[1] = 0xbb67ae85 | 0;
  H[2] = 0x3c6ef372;
  H[3] = 0xa54ff53a | 0;
  H[4] = 0x510e527f;
  H[5] = 0x9b05688c | 0;
  H[6] = 0x1f83d9ab;
  H[7] = 0x5be0cd19;
  const n = data.length;
  const full = n - (n % 64);
  for (let off = 0; off < full; off += 64) compress(data, off);
  // Tail: remaining bytes, 0x80, zero pad, 64-bit big-endian bit length (one or two blocks).
  const tailLen = n - full < 56 ? 64 : 128;
  const tail = new Uint8Array(tailLen);
  for (let i = full; i < n; i++) tail[i - full] = data[i];
  tail[n - full] = 0x80;
  const bitsHi = Math.floor(n / 0x20000000);
  const bitsLo = (n * 8) % 0x100000000;
  tail[tailLen - 8] = (bitsHi >>> 24) & 255;
  tail[tailLen - 7] = (bitsHi >>> 16) & 255;
  tail[tailLen - 6] = (bitsHi >>> 8) & 255;
  tail[tailLen - 5] = bitsHi & 255;
  tail[tailLen - 4] = (bitsLo / 0x1000000) & 255;
  tail[tailLen - 3] = (bitsLo >>> 16) & 255;
  tail[tailLen - 2] = (bitsLo >>> 8) & 255;
  tail[tailLen - 1] = bitsLo & 255;
  compress(tail, 0);
  if (tailLen === 128) compress(tail, 64);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = H[i];
    out[4 * i] = (v >>> 24) & 255;
    out[4 * i + 1] = (v >>> 16) & 255;
    out[4 * i + 2] = (v >>> 8) & 255;
    out[4 * i + 3] = v & 255;
  }
  return out;
}
