// `lab provision`: a device gets its identity and keys, derived from the fleet root (SPEC §2;
// the root is never printed, logged or written anywhere but into the keys it derives), written
// into its Storage over serial with the verified upload of `lab flash`, and then recorded in the
// register. The register is asked first, so a device in service is refused before a byte goes
// to it; it is written last, so it never records a device whose records did not verify.

import type { NetworkConfig } from "../../firmware/base/base-records";
import { unitBrokerPassword } from "../../simulator/broker/broker-accounts";
import { LabError } from "./errors";
import { BOARDS } from "./espruino";
import { flashFilesWithRetries } from "./flash-with-retries";
import { type StorageFiles, tagFiles, unitConsolePassword, unitFiles } from "./provision-records";
import type { DeviceKind, DeviceRegister } from "./register/register";

export interface ProvisionRequest {
  kind: DeviceKind;
  id: number;
  keyVersion: number;
  companyId: number;
  /** unit: the tag it is paired with (already in the register). */
  tagId?: number;
  /** unit: where and how it reaches the centre; null writes no network record. */
  net?: NetworkConfig | null;
  /** unit: the secret its broker password derives from (SPEC §13); absent: no password. */
  brokerSecret?: Uint8Array;
  firmware: string;
  /** --force's reason, for a device in service. */
  force?: string;
}

export interface ProvisionLink {
  port: string;
  baudRate: number;
  retries: number;
  transcriptFile?: string;
}

export interface ProvisionReport {
  files: { name: string; bytes: number; crc: number }[];
  board: string;
  espruino: string;
}

/** The records a request writes (pure: no device, no register). */
export function provisionFiles(root: Uint8Array, r: ProvisionRequest): StorageFiles {
  if (r.kind === "tag") return tagFiles(root, r.id, r.companyId, r.keyVersion);
  if (r.tagId === undefined) throw new LabError("usage", "a unit is provisioned with its --tag");
  const net =
    r.net === undefined || r.net === null
      ? null
      : {
          ...r.net,
          brokerPassword:
            r.brokerSecret === undefined ? undefined : unitBrokerPassword(r.brokerSecret, r.id),
        };
  return unitFiles(root, r.id, r.tagId, r.companyId, net, r.keyVersion, r.keyVersion);
}

export async function provision(
  root: Uint8Array,
  r: ProvisionRequest,
  link: ProvisionLink,
  register: DeviceRegister,
): Promise<ProvisionReport> {
  register.checkProvision(r.kind, r.id, r.force);
  if (r.kind === "unit") {
    register.checkPair(r.tagId ?? 0, r.id, r.force);
    const tag = register.get("tag", r.tagId ?? 0);
    if (tag.keyVersion !== r.keyVersion)
      throw new LabError(
        "refused",
        `tag ${r.tagId} is registered at key version ${tag.keyVersion}, not ${r.keyVersion}`,
      );
  }
  const files = provisionFiles(root, r);
  const flashed = await flashFilesWithRetries(
    link.port,
    Object.keys(files).map((name) => ({ name, data: files[name] })),
    {
      boards: BOARDS[r.kind],
      baudRate: link.baudRate,
      retries: link.retries,
      transcriptFile: link.transcriptFile,
      // A unit in service has its console locked with the password this id derives (SPEC §2).
      password: r.kind === "unit" ? unitConsolePassword(root, r.id) : undefined,
    },
  );
  const report: ProvisionReport = {
    files: flashed.map((f) => ({ name: f.name, bytes: f.bytes, crc: f.crc })),
    board: flashed[0].device.board,
    espruino: flashed[0].device.version,
  };
  register.add(r.kind, r.id, r.firmware, r.keyVersion, r.force);
  if (r.kind === "unit") register.pair(r.tagId ?? 0, r.id, r.force);
  return report;
}
