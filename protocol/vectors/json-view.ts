// How the vector files write CBOR values in JSON: a map is an object with decimal keys (as the
// core holds it), and a byte string — which JSON has no type for — is {"bstr": "<hex>"}. Device
// code reads the files too (the self-test bundle), so this imports only the core.

import { fromHex, toHex } from "../src/core/bytes.js";
import type { CborValue } from "../src/core/cbor.js";

export type JsonView = null | boolean | number | string | JsonView[] | { [k: string]: JsonView };

/** A CBOR value as the vector files write it. */
export function toJsonView(v: CborValue): JsonView {
  if (v instanceof Uint8Array) return { bstr: toHex(v) };
  if (Array.isArray(v)) return v.map(toJsonView);
  if (v !== null && typeof v === "object") {
    const o: { [k: string]: JsonView } = {};
    for (const k of Object.keys(v)) o[k] = toJsonView((v as { [k: string]: CborValue })[k]);
    return o;
  }
  return v as JsonView;
}

/** The CBOR value a vector file's JSON stands for. */
export function fromJsonView(v: JsonView): CborValue {
  if (Array.isArray(v)) return v.map(fromJsonView);
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "bstr" && typeof v.bstr === "string")
      return fromHex(v.bstr) as Uint8Array;
    const o: { [k: string]: CborValue } = {};
    for (const k of keys) o[k] = fromJsonView(v[k]);
    return o as CborValue;
  }
  return v;
}
