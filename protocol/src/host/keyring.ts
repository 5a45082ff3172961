// The centre's view of keys: one root secret per fleet (per root generation), every device key
// derived on demand and cached, and an explicit set of accepted key versions (SPEC §2).

import type { KeyIdFields } from "../core/cose";
import { nodeDeriveKey } from "./node-crypto";

export interface KeyringOptions {
  /** Root secret per key version; versions absent here are rejected as unknown. */
  roots: Record<number, Uint8Array>;
}

export class FleetKeyring {
  private readonly roots: Record<number, Uint8Array>;
  private readonly cache = new Map<string, Uint8Array>();

  constructor(opts: KeyringOptions) {
    this.roots = opts.roots;
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
    if (!k) {
      k = nodeDeriveKey(root, purpose, deviceId, keyVersion);
      this.cache.set(id, k);
    }
    return k;
  }

  /** KeyLookup for the core's openMac0 and the host envelope functions. */
  readonly lookup = (kid: KeyIdFields): Uint8Array | null =>
    this.key(kid.purpose, kid.deviceId, kid.keyVersion);
}
