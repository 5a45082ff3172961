// Test support for the presence code (used by the *.test.ts files beside it, never by the unit):
// a seeded PRNG and a virtual tag that signs real beacons with the protocol's encoder. Written in
// the device subset like everything under firmware/, so the build's source gates pass over it.

import { type BeaconFields, encodeBeacon } from "@em-platform/protocol/core/beacon";
import { deriveKey, KeyPurpose } from "@em-platform/protocol/core/keys";
import type { Sha256 } from "@em-platform/protocol/core/sha256";

/** xorshift32: deterministic from a seed, no Math.imul (absent on Espruino). */
export class Prng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 4294967296;
  }

  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }

  /** Integer uniform in [a, b]. */
  int(a: number, b: number): number {
    return a + Math.floor((b - a + 1) * this.next());
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Normal(mean, sd) by Box–Muller. */
  gauss(mean: number, sd: number): number {
    let u = this.next();
    if (u < 1e-12) u = 1e-12;
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** A tag that signs real beacons (SPEC §4) with its HKDF-derived key. */
export class VirtualTag {
  readonly tagId: number;
  readonly keyVersion: number;
  readonly key: Uint8Array;
  private readonly sha: Sha256;
  private readonly companyId: number;
  counter: number;
  flags: number;
  batteryMv: number | null;
  /** Set: it sends extended beacons with this latch age (SPEC §4); undefined: 20-byte ones. */
  strapLatchAgeS: number | null | undefined;

  constructor(sha: Sha256, root: Uint8Array, companyId: number, tagId: number, keyVersion: number) {
    this.sha = sha;
    this.companyId = companyId;
    this.tagId = tagId;
    this.keyVersion = keyVersion;
    this.key = deriveKey(sha, root, KeyPurpose.tagBeacon, tagId, keyVersion);
    this.counter = 0;
    this.flags = 0;
    this.batteryMv = 3000;
  }

  fields(counter: number): BeaconFields {
    const f: BeaconFields = {
      tagId: this.tagId,
      counter: counter,
      flags: this.flags,
      batteryMv: this.batteryMv,
      keyVersion: this.keyVersion,
    };
    if (this.strapLatchAgeS !== undefined) f.strapLatchAgeS = this.strapLatchAgeS;
    return f;
  }

  /** The beacon with this counter and the tag's current flags and battery. */
  frame(counter: number): Uint8Array {
    return encodeBeacon(this.sha, this.key, this.companyId, this.fields(counter));
  }

  /** The next beacon (counter + 1 each time). */
  next(): Uint8Array {
    const f = this.frame(this.counter);
    this.counter++;
    return f;
  }
}
