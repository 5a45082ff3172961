// A complete virtual tag: fake hardware, the real TagApp, and a decoder that verifies every
// advertised frame with the protocol's verifyBeacon, as a home unit would. Used by the tag's
// tests; the simulator and the HIL virtual bench build fleets of these.

import { verifyBeacon } from "@em-platform/protocol/core/beacon";
import { deriveKey, KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { startTag, type TagApp, type TagHal } from "../tag/tag-app";
import type { TagConfig } from "../tag/tag-config";
import type { TagIdentity } from "../tag/tag-storage";
import { counterFlash } from "../targets/espruino/tag-flash";
import { type AdvertRecord, createHardware, FakeBoard, type FakeHardware } from "./fake-board";
import type { VirtualClock } from "./virtual-clock";
import type { VirtualFlash } from "./virtual-flash";

/** Keys derived from a fleet root exactly as the centre derives them (SPEC §2). */
export function identityFromRoot(
  root: Uint8Array,
  tagId: number,
  keyVersion: number,
  companyId: number,
): TagIdentity {
  return {
    tagId: tagId,
    keyVersion: keyVersion,
    companyId: companyId,
    beaconKey: deriveKey(sha256, root, KeyPurpose.tagBeacon, tagId, keyVersion),
    commandKey: deriveKey(sha256, root, KeyPurpose.tagCommand, tagId, keyVersion),
  };
}

/** A frame that passed verifyBeacon. */
export interface VerifiedFrame {
  atMs: number;
  boot: number;
  counter: number;
  flags: number;
  batteryMv: number | null;
  /** As the beacon says (SPEC §4): seconds since the strap latched, null unknown, undefined for
   * a 20-byte beacon. */
  strapLatchAgeS?: number | null;
  /** As the beacon says (SPEC §4): the challenge echo, undefined for a 20-byte beacon. */
  echo?: number;
  intervalMs: number;
}

export class VirtualTag {
  readonly hw: FakeHardware;
  readonly identity: TagIdentity;
  readonly config: TagConfig;
  /** Wire the case input (false: a tag with a strap loop only). */
  readonly withCase: boolean;
  board: FakeBoard;
  /** The running application (after start()). */
  app!: TagApp;
  /** Frames that failed verification (must stay 0). */
  bad = 0;
  private readonly verified: VerifiedFrame[] = [];
  private seen = 0;

  constructor(
    world: VirtualClock,
    flash: VirtualFlash,
    identity: TagIdentity,
    config: TagConfig,
    seed: number,
    withCase: boolean,
  ) {
    this.hw = createHardware(world, flash, seed);
    this.identity = identity;
    this.config = config;
    this.withCase = withCase;
    this.board = new FakeBoard(this.hw, 0);
  }

  halOf(b: FakeBoard): TagHal {
    return {
      clock: b.clock,
      storage: b.storage,
      counterPages: counterFlash(this.hw.nor),
      strap: b.strap,
      caseInput: this.withCase ? b.caseInput : null,
      battery: b.battery,
      advertiser: b.advertiser,
      commands: b.commands,
      watchdog: b.watchdog,
      indicator: b.indicator,
      crypto: b.crypto,
    };
  }

  start(): void {
    this.app = startTag(this.halOf(this.board), this.identity, this.config);
  }

  /** Power cycle: a new boot of the same hardware runs a new TagApp. */
  reboot(): void {
    this.board = this.board.reboot();
    this.start();
  }

  /** Every frame advertised so far, verified (cached; cheap to call in a runUntil predicate). */
  frames(): VerifiedFrame[] {
    const log: AdvertRecord[] = this.hw.adverts;
    const id = this.identity;
    for (; this.seen < log.length; this.seen++) {
      const rec = log[this.seen];
      const r = verifyBeacon(sha256, id.beaconKey, rec.companyId, rec.data);
      if (!r.ok || rec.companyId !== id.companyId || r.value.tagId !== id.tagId) {
        this.bad++;
        continue;
      }
      this.verified.push({
        atMs: rec.atMs,
        boot: rec.boot,
        counter: r.value.counter,
        flags: r.value.flags,
        batteryMv: r.value.batteryMv,
        strapLatchAgeS: r.value.strapLatchAgeS,
        echo: r.value.echo,
        intervalMs: rec.intervalMs,
      });
    }
    return this.verified;
  }

  /** The latest verified frame, or null. */
  last(): VerifiedFrame | null {
    const f = this.frames();
    return f.length > 0 ? f[f.length - 1] : null;
  }
}
