// The centre's view of keys: one root secret per fleet (per root generation), every device key
// derived on demand and cached, and an explicit set of accepted key versions (SPEC §2).
//
// The lookup runs before the MAC check, with a key id taken from an unauthenticated header, so
// the cache is a small LRU (issue 11, item 9): forged ids cost one HKDF each, never memory.

import type { KeyIdFields } from "../core/cose.js";
import { nodeDeriveKey } from "./node-crypto.js";

export interface KeyringOptions {
  /** Root secret per key version; versions absent here are rejected as unknown. */
  roots: Record<number, Uint8Array>;
  /** Most derived keys kept (least recently used dropped first). Default 1024. */
  cacheMax?: number;
}

export class FleetKeyring {
  private readonly roots: Record<number, Uint8Array>;
  private readonly cache = new Map<string, Uint8Array>();
  private readonly cacheMax: number;

  constructor(opts: KeyringOptions) {
    this.roots = opts.roots;
    this.cacheMax = Math.max(1, opts.cacheMax ?? 1024);
  }

  /** Keys held in the cache now (at most `cacheMax`). */
  get cachedKeys(): number {
    return this.cache.size;
  }

  /** A single root for every accepted version (the usual case). */
  static fromRoot(root: Uint8Array, versions: number[]): FleetKeyring {
    const roots: Record<number, Uint8Array> = {};
    for (const v of versions) roots[v] = root;
    return new FleetKeyring({ roots });
  }

  key(purpose: number, deviceId: number, keyVersion: number): Uint8Array | null {
    const root = this.roots[keyVersion];
    if (!root) return null;
    const id = purpose + ":" + deviceId + ":" + keyVersion;
    let k = this.cache.get(id);
    if (k) {
      // Most recently used last: Map keeps insertion order.
      this.cache.delete(id);
    } else {
      k = nodeDeriveKey(root, purpose, deviceId, keyVersion);
      if (this.cache.size >= this.cacheMax) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
    }
    this.cache.set(id, k);
    return k;
  }

  /** KeyLookup for the core's openMac0 and the host envelope functions. */
  readonly lookup = (kid: KeyIdFields): Uint8Array | null =>
    this.key(kid.purpose, kid.deviceId, kid.keyVersion);
}
