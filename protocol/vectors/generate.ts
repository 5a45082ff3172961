// Writes protocol/vectors/*.json from cases.ts with the device core, and the worked examples in
// SPEC.md §16 from those vectors. Run: npm run vectors. Tests fail when either is stale.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeBeacon } from "../src/core/beacon";
import { toHex } from "../src/core/bytes";
import { encodeDownlink, encodeDownlinkPayload } from "../src/core/downlink";
import { deriveKey, KeyPurpose } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";
import { encodeSmsText } from "../src/core/sms-text";
import { encodeTagCommand } from "../src/core/tag-command";
import { encodeUplink, encodeUplinkPayload } from "../src/core/uplink";
import {
  beaconCases,
  COMPANY_ID,
  downlinkCases,
  RECEIVERS,
  ROOT,
  ROOT_HEX,
  tagCommandCases,
  uplinkCases,
} from "./cases";
import { invalidCases } from "./invalid";
import { toJsonView } from "./json-view";
import { sequenceCases } from "./sequences";

const here = dirname(fileURLToPath(import.meta.url));

// JSON cannot hold Uint8Array or integer map keys faithfully; vectors keep inputs as the cases
// wrote them (maps become objects with decimal keys, which is how the core represents them).
function json(v: unknown): string {
  return JSON.stringify(v, null, 2) + "\n";
}

export function buildVectors(): Record<string, unknown> {
  const keyFor = (p: number, dev: number, v: number) => deriveKey(sha256, ROOT, p, dev, v);
  return {
    "keys.json": {
      description: "HKDF-SHA256 device keys (SPEC §2)",
      root: ROOT_HEX,
      vectors: [
        [KeyPurpose.tagBeacon, beaconCases[0].fields.tagId, 1],
        [KeyPurpose.tagCommand, beaconCases[0].fields.tagId, 1],
        [KeyPurpose.unitUplink, uplinkCases[0].uplink.unitId, 1],
        [KeyPurpose.unitDownlink, uplinkCases[0].uplink.unitId, 1],
        [KeyPurpose.unitKeyWrap, uplinkCases[0].uplink.unitId, 1],
        [KeyPurpose.unitUplink, uplinkCases[0].uplink.unitId, 2],
      ].map(([purpose, deviceId, keyVersion]) => ({
        purpose,
        deviceId,
        keyVersion,
        key: toHex(keyFor(purpose, deviceId, keyVersion)),
      })),
    },
    "beacon.json": {
      description:
        "Tag beacons (SPEC §4): payload after the 2-byte company id; each vector's receiver " +
        "listens for its company id",
      root: ROOT_HEX,
      receiver: RECEIVERS.beacon,
      vectors: beaconCases.map((c) => ({
        name: c.name,
        companyId: c.companyId,
        fields: c.fields,
        hex: toHex(
          encodeBeacon(
            sha256,
            keyFor(KeyPurpose.tagBeacon, c.fields.tagId, c.fields.keyVersion),
            c.companyId,
            c.fields,
          ),
        ),
      })),
    },
    "tag-command.json": {
      description: "Tag commands (SPEC §5)",
      root: ROOT_HEX,
      receiver: RECEIVERS.tagCommand,
      vectors: tagCommandCases.map((c) => ({
        name: c.name,
        fields: c.fields,
        hex: toHex(
          encodeTagCommand(
            sha256,
            keyFor(KeyPurpose.tagCommand, c.fields.tagId, c.fields.keyVersion),
            c.fields,
          ),
        ),
      })),
    },
    "uplink.json": {
      description: "Uplink COSE_Mac0 envelopes (SPEC §6, §7)",
      root: ROOT_HEX,
      receiver: RECEIVERS.uplink,
      vectors: uplinkCases.map((c) => ({
        name: c.name,
        keyVersion: c.keyVersion,
        uplink: c.uplink,
        payloadHex: toHex(encodeUplinkPayload(c.uplink)),
        hex: toHex(
          encodeUplink(
            sha256,
            keyFor(KeyPurpose.unitUplink, c.uplink.unitId, c.keyVersion),
            c.keyVersion,
            c.uplink,
          ),
        ),
      })),
    },
    "downlink.json": {
      description:
        "Downlink COSE_Mac0 envelopes (SPEC §6, §8); a byte string in args is written " +
        "{\"bstr\": hex}; each receiver's clock is the vector's expiry, its last valid second",
      root: ROOT_HEX,
      vectors: downlinkCases.map((c) => ({
        name: c.name,
        keyVersion: c.keyVersion,
        receiver: { ...RECEIVERS.downlink, now: c.downlink.expiresAt },
        downlink: {
          ...c.downlink,
          args: c.downlink.args === null ? null : toJsonView(c.downlink.args),
        },
        payloadHex: toHex(encodeDownlinkPayload(c.downlink)),
        hex: toHex(
          encodeDownlink(
            sha256,
            keyFor(KeyPurpose.unitDownlink, c.downlink.unitId, c.keyVersion),
            c.keyVersion,
            c.downlink,
          ),
        ),
      })),
    },
    "invalid.json": {
      description:
        "Inputs each receiver must reject, with the SPEC §14 code both faces give and the " +
        "SPEC section whose rule each pins",
      root: ROOT_HEX,
      vectors: invalidCases(),
    },
    "sms.json": {
      description: "Uplink envelopes in the SMS text form (SPEC §12)",
      root: ROOT_HEX,
      receiver: RECEIVERS.sms,
      vectors: [uplinkCases[0]].map((c) => {
        const envelope = encodeUplink(
          sha256,
          keyFor(KeyPurpose.unitUplink, c.uplink.unitId, c.keyVersion),
          c.keyVersion,
          c.uplink,
        );
        return { name: c.name, envelopeHex: toHex(envelope), text: encodeSmsText(envelope) };
      }),
    },
    "sequences.json": {
      description:
        "Uplink envelopes arriving in order at one centre, each with the verdict it must get " +
        "(SPEC §3, §13); topicUnitId absent = by SMS",
      root: ROOT_HEX,
      vectors: sequenceCases(),
    },
  };
}

function spaced(hex: string, groups: number[]): string {
  const out: string[] = [];
  let off = 0;
  for (const g of groups) {
    out.push(hex.slice(off, off + 2 * g));
    off += 2 * g;
  }
  if (off < hex.length) out.push(hex.slice(off));
  return out.join(" ");
}

/** The SPEC §16 text, generated so it can never drift from the vectors. */
// biome-ignore lint/suspicious/noExplicitAny: the vectors are JSON read back for display
export function workedExamples(v: Record<string, any>): string {
  const L: string[] = [];
  L.push("## 16. Worked examples");
  L.push("");
  L.push(
    "Generated by `npm run vectors` from `protocol/vectors/*.json`; a test fails if this section " +
      "and the vectors disagree. Fleet root secret `" +
      ROOT_HEX +
      "`; company id 0xFFFF unless a vector says otherwise.",
  );
  L.push("");
  L.push("### Keys");
  L.push("");
  L.push("| purpose | device id | key version | key |");
  L.push("|---|---|---|---|");
  for (const k of v["keys.json"].vectors)
    L.push(
      `| 0x0${k.purpose} | 0x${k.deviceId.toString(16).padStart(8, "0")} | ${k.keyVersion} | \`${k.key}\` |`,
    );
  L.push("");
  L.push("### Tag beacons (payload after the company id)");
  L.push("");
  L.push(
    "Fields separated as: version/type, tag id, counter, flags, battery, key version, (extended" +
      " beacon: latch age, echo,) MAC.",
  );
  L.push("");
  for (const b of v["beacon.json"].vectors) {
    const company =
      b.companyId === COMPANY_ID
        ? ""
        : ` (company id 0x${b.companyId.toString(16).padStart(4, "0").toUpperCase()})`;
    L.push(`- ${b.name}${company}: \`${JSON.stringify(b.fields)}\``);
    L.push("");
    L.push("  ```");
    const extended = b.hex.length === 48;
    L.push("  " + spaced(b.hex, extended ? [1, 4, 4, 1, 1, 1, 2, 2, 8] : [1, 4, 4, 1, 1, 1, 8]));
    L.push("  ```");
  }
  L.push("");
  L.push("### Tag commands");
  L.push("");
  L.push("Fields: version/type, tag id, counter, key version, command, argument, MAC.");
  L.push("");
  for (const c of v["tag-command.json"].vectors) {
    L.push(`- ${c.name}: \`${JSON.stringify(c.fields)}\``);
    L.push("");
    L.push("  ```");
    L.push("  " + spaced(c.hex, [1, 4, 4, 1, 1, 2, 16]));
    L.push("  ```");
  }
  for (const [file, title, key] of [
    ["uplink.json", "Uplinks", "uplink"],
    ["downlink.json", "Downlinks", "downlink"],
  ] as const) {
    L.push("");
    L.push(`### ${title}`);
    L.push("");
    L.push(
      "Envelope split as: `d1` tag 17, `84` array(4), protected bstr `4b a2 01 05 04 46 <kid>`, " +
        "`a0` empty unprotected map, payload bstr, `58 20` + 32-byte MAC.",
    );
    for (const e of v[file].vectors) {
      const payloadLen = e.payloadHex.length / 2;
      const headLen = payloadLen < 24 ? 1 : payloadLen < 256 ? 2 : 3;
      L.push("");
      L.push(`- ${e.name} (key version ${e.keyVersion}): \`${JSON.stringify(e[key])}\``);
      L.push("");
      L.push("  payload (CBOR):");
      L.push("");
      L.push("  ```");
      L.push("  " + e.payloadHex);
      L.push("  ```");
      L.push("");
      L.push("  envelope:");
      L.push("");
      L.push("  ```");
      L.push("  " + spaced(e.hex, [1, 1, 12, 1, headLen, payloadLen, 2, 32]));
      L.push("  ```");
    }
  }
  L.push("");
  L.push("### SMS text form (§12)");
  L.push("");
  for (const sms of v["sms.json"].vectors) {
    L.push(`- ${sms.name}, as one SMS (${sms.text.length} characters):`);
    L.push("");
    L.push("  ```");
    L.push("  " + sms.text);
    L.push("  ```");
  }
  L.push("");
  return L.join("\n");
}

export const SPEC_MARKER = "## 16. Worked examples";

export function specWithExamples(spec: string, v: Record<string, unknown>): string {
  const i = spec.indexOf(SPEC_MARKER);
  return (i < 0 ? spec + "\n" : spec.slice(0, i)) + workedExamples(v);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const v = buildVectors();
  for (const [file, content] of Object.entries(v)) writeFileSync(join(here, file), json(content));
  const specPath = join(here, "..", "SPEC.md");
  writeFileSync(specPath, specWithExamples(readFileSync(specPath, "utf8"), v));
  console.log("wrote", Object.keys(v).join(", "), "and SPEC.md §16");
}
