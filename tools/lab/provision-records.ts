// The Storage records provisioning writes — by `lab provision`, and by the engines' benches: a
// tag's identity (em.id) and a home unit's identity, pairing, network record and console
// password (em.unit, em.pair, em.net, em.pwd), each derived from a fleet root secret (SPEC §2),
// as latin1 byte strings.

import { toHex } from "@em-platform/protocol/core/bytes";
import { deriveKey, KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import {
  encodeNetworkConfig,
  encodeIdentity as encodeUnitIdentity,
  type NetworkConfig,
  savePairing,
} from "../../firmware/base/base-records";
import type { Storage } from "../../firmware/hal/hal";
import { encodeIdentity as encodeTagIdentity } from "../../firmware/tag/tag-storage";
import { identityFromRoot } from "../../firmware/testing/virtual-tag";

export type StorageFiles = { [name: string]: string };

const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");

/**
 * The password a provisioned unit's wired console asks for (SPEC §2): 20 hex digits (80 bits)
 * of its console key. At key version 0, whatever the unit's keys are at: it does not rotate with
 * them, so the lab unlocks a unit to re-key it without knowing which version it holds.
 */
export function unitConsolePassword(root: Uint8Array, unitId: number): string {
  return toHex(deriveKey(sha256, root, KeyPurpose.unitConsole, unitId, 0).subarray(0, 10));
}

export function tagFiles(
  root: Uint8Array,
  tagId: number,
  companyId: number,
  keyVersion = 1,
): StorageFiles {
  return {
    "em.id": latin1(encodeTagIdentity(identityFromRoot(root, tagId, keyVersion, companyId))),
  };
}

export function unitFiles(
  root: Uint8Array,
  unitId: number,
  tagId: number,
  companyId: number,
  net: NetworkConfig | null,
  keyVersion = 1,
  tagKeyVersion = keyVersion,
): StorageFiles {
  const key = (purpose: number, device: number, kv = keyVersion) =>
    deriveKey(sha256, root, purpose, device, kv);
  const files: StorageFiles = {};
  const shim = {
    write: (name: string, data: Uint8Array) => {
      files[name] = latin1(data);
      return true;
    },
  };
  savePairing(shim as unknown as Storage, {
    tagId: tagId,
    keyVersion: tagKeyVersion,
    beaconKey: key(KeyPurpose.tagBeacon, tagId, tagKeyVersion),
  });
  files["em.unit"] = latin1(
    encodeUnitIdentity({
      unitId: unitId,
      keyVersion: keyVersion,
      companyId: companyId,
      uplinkKey: key(KeyPurpose.unitUplink, unitId),
      downlinkKey: key(KeyPurpose.unitDownlink, unitId),
      wrapKey: key(KeyPurpose.unitKeyWrap, unitId),
    }),
  );
  if (net !== null) files["em.net"] = latin1(encodeNetworkConfig(net));
  files["em.pwd"] = unitConsolePassword(root, unitId);
  return files;
}
