// One receiver of the conformance kit's reference adapter: the host face, with the receiver
// context a vector names (SPEC §14 "Receiver context"), and for a centre the state that makes a
// sequence of uplinks mean something (SPEC §3 window and key versions, §13 topic binding).

import { fromHex } from "../src/core/bytes";
import type { KeyIdFields } from "../src/core/cose";
import { checkExpiry } from "../src/core/downlink";
import type { Result } from "../src/core/errors";
import { KeyPurpose } from "../src/core/keys";
import { decodeSmsText } from "../src/core/sms-text";
import { openTagCommand } from "../src/core/tag-command";
import { openBeaconHost } from "../src/host/beacon";
import { openDownlinkHost } from "../src/host/envelope";
import { FleetKeyring } from "../src/host/keyring";
import { nodeSha256 } from "../src/host/node-crypto";
import { UplinkAcceptor } from "../src/host/uplink-acceptor";
import type { VectorInput, VectorReceiver } from "../vectors/receiver";

export interface Arrival extends VectorInput {
  /** The MQTT topic's unit id an uplink came on; absent for SMS and for other kinds. */
  topicUnitId?: number;
}

export class HostReceiver {
  private readonly keyring: FleetKeyring;
  private readonly acceptor: UplinkAcceptor;

  constructor(
    root: Uint8Array,
    private readonly r: VectorReceiver,
  ) {
    this.keyring = FleetKeyring.fromRoot(root, r.keyVersions);
    this.acceptor = new UplinkAcceptor(this.keyring.lookup);
  }

  /** "ok" (accepted; for uplinks: fresh, so processed) or the SPEC §14 code. */
  judge(a: Arrival): string {
    const r = this.r;
    const k = this.keyring;
    if (a.kind === "sms") {
      const b = decodeSmsText(a.text ?? "");
      return verdict(b.ok ? this.acceptor.accept(b.value) : b);
    }
    const b = fromHex(a.hex ?? "");
    if (b === null) throw new Error("receiver: hex does not parse");
    if (a.kind === "uplink") return verdict(this.acceptor.accept(b, a.topicUnitId));
    if (a.kind === "beacon") {
      return verdict(
        openBeaconHost(
          r.companyId ?? 0xffff,
          b,
          (id, kv) => k.key(KeyPurpose.tagBeacon, id, kv),
          r.tagId ?? 0,
        ),
      );
    }
    if (a.kind === "tagCommand") {
      const tag = r.tagId ?? 0;
      return verdict(
        openTagCommand(nodeSha256, b, tag, (kv) => k.key(KeyPurpose.tagCommand, tag, kv)),
      );
    }
    const unit = r.unitId ?? 0;
    const d = openDownlinkHost(b, unit, (kid: KeyIdFields) =>
      kid.deviceId === unit ? k.lookup(kid) : null,
    );
    return verdict(d.ok ? checkExpiry(d.value.downlink, r.now ?? 0) : d);
  }
}

function verdict(r: Result<unknown> | { ok: false; code: string }): string {
  return r.ok ? "ok" : r.code;
}
