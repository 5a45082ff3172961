// One monitored home, all real firmware on virtual hardware: the tag (VirtualTag running the real
// TagApp) advertising through a virtual radio into the home unit's scanner; the home unit
// assembled as the device assembles it (assembleHomeUnit: the app and its uplink — the real
// SIM800 driver and MQTT client — from the provisioned records) on a FakeBoard, the modem's UART
// a VirtualModem's, the modem on the simulated cellular Network and opening real TCP to a real
// broker. Provisioned (em.unit, em.pair, em.net) from the fleet root exactly as the centre
// derives keys (SPEC §2), as firmware/base/base-app.test.ts provisions its unit.
//
// Clocks: everything runs on one VirtualClock (the world). Each unit boot has its own FakeClock
// (its timers die with the boot); the modem and the network have their own, so the modem stays
// powered across a unit reboot until the unit's driver power-cycles it through the reset line.

import { BootReason } from "@em-platform/protocol/core/events";
import { deriveKey, KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { assembleHomeUnit } from "../../firmware/base/assemble-home-unit";
import type { BaseApp, BaseHal } from "../../firmware/base/base-app";
import {
  encodeIdentity,
  encodeNetworkConfig,
  RecordName,
  savePairing,
} from "../../firmware/base/base-records";
import { RamSegmentStore } from "../../firmware/base/queue/ram-segment-store";
import { recordLog } from "../../firmware/base/records/record-log";
import type { HomeUplink, UplinkHardware } from "../../firmware/base/uplink/home-uplink";
import { defaultTagConfig } from "../../firmware/tag/tag-config";
import {
  createHardware,
  FakeBoard,
  FakeClock,
  FakeDigitalInput,
  type FakeHardware,
} from "../../firmware/testing/fake-board";
import type { VirtualClock } from "../../firmware/testing/virtual-clock";
import { VirtualFlash } from "../../firmware/testing/virtual-flash";
import { identityFromRoot, VirtualTag } from "../../firmware/testing/virtual-tag";
import { type ModemFaultOptions, ModemFaults } from "../modem/faults";
import type { ModemLatency } from "../modem/latency";
import type { Network } from "../modem/network";
import type { TcpConnector } from "../modem/tcp-connector";
import { VirtualModem } from "../modem/virtual-modem";
import type { RadioMedium } from "../radio/medium";
import type { HomeMovement } from "./home-movement";
import { SparseSegmentStore } from "./sparse-segment-store";
import { TrackedTcp } from "./tracked-tcp";

export interface HomeOptions {
  world: VirtualClock;
  network: Network;
  /** The network area (cell) the home is in; null = always covered. Default "home-cell". */
  area?: string | null;
  /** Fleet root secret (key version 1). */
  root: Uint8Array;
  unitId: number;
  tagId: number;
  /** BLE company id in the beacons. Default 0xffff. */
  companyId?: number;
  /** The unit's SIM number. */
  number: string;
  brokerHost: string;
  brokerPort: number;
  /** The unit's broker password (em.net key 8); none by default. */
  brokerPassword?: string;
  /** Over the modem's TLS (em.net key 9); in the clear by default. */
  tls?: boolean;
  /** The centre's SMS numbers (alarms go to the first). */
  centreNumbers: string[];
  officerNumbers?: string[];
  latency?: Partial<ModemLatency>;
  seed?: number;
  /** Flash queue geometry. Default 64 × 4064 bytes (~8,000 small events). */
  queueSegments?: number;
  queueSegmentSize?: number;
  /** RSSI of the tag at the unit (dBm). Default -60. */
  rssi?: number;
  /** Seeded modem faults (dropped bytes, garbage lines, socket drops, reboots…); none by default. */
  faults?: ModemFaultOptions;
  /** Whether the unit's modem reset line is wired (resetModem power-cycles the modem). Default true. */
  modemResetLine?: boolean;
  /** How the modem's sockets reach the broker. Default: real TCP, watched (TrackedTcp). */
  tcp?: TcpConnector;
}

/**
 * Real quiet after the last socket activity before virtual time may jump (see TrackedTcp): more
 * than Linux's 40 ms delayed ACK, so a broker that leaves Nagle on still answers within it.
 */
const QUIET_MS = 60;
/** PWRKEY low long enough for a SIM800 to power down (datasheet: ≥ 1 s; we hold 1.2 s). */
const MODEM_RESET_MS = 1200;
/** A deliberate press: well past the uplink's 50 ms debounce. */
const PRESS_MS = 300;
/** A neighbour's tag through one wall, dBm: as strong as a tag at the far end of the flat (the
 * fixed figure, without a medium). */
const NEIGHBOUR_RSSI = -70;
/** A relay's transmitter in the home: as loud as the tag in the same room. */
const RELAY_RSSI = -60;
/** A relay of the beacons only still takes them some time to carry. */
const RELAY_ONE_WAY_MS = 50;
/** With a medium: how much further the neighbour's unit is than the subject's own. */
const NEXT_DOOR_M = 5;

export class VirtualHome {
  readonly unitId: number;
  readonly tagId: number;
  readonly tag: VirtualTag;
  readonly modem: VirtualModem;
  /** The modem's real sockets, when they are real (null in the accelerated world). */
  private readonly tracked: TrackedTcp | null;
  readonly unitHw: FakeHardware;
  /** The subject's button on the unit (true = held down); it outlives a reboot like the case. */
  readonly button = new FakeDigitalInput(false);
  readonly queueFlash: SparseSegmentStore;
  /** The raw pages of the records the unit rewrites (8 × 4 KB, as base-main.ts). */
  readonly recordFlash = new RamSegmentStore(8, 4096);
  /** Restarts the unit asked for itself (reboot command, decommission). */
  restarts = 0;
  /** Whether the tag's adverts reach the unit (the subject at home). */
  radioOn = true;
  /** A live relay while the subject is away (SPEC §15 attack 3): his tag's frames reach the unit
   * half a round trip late from a transmitter in the home, and the unit's writes reach the tag
   * half a round trip late — or never, with roundTripMs null (a relay of the beacons only). */
  relay: { roundTripMs: number | null } | null = null;
  /** The RSSI every frame is heard at, without a medium. */
  rssi: number;
  /** With a medium each frame is drawn from where the subject is (set both, or neither). */
  medium: RadioMedium | null = null;
  movement: HomeMovement | null = null;
  private readonly o: HomeOptions;
  private board: FakeBoard;
  private currentApp: BaseApp;
  private currentUplink: HomeUplink;
  private readonly modemClock: FakeClock;

  constructor(o: HomeOptions) {
    this.o = o;
    this.tracked = o.tcp === undefined ? new TrackedTcp() : null;
    this.unitId = o.unitId;
    this.tagId = o.tagId;
    this.rssi = o.rssi ?? -60;
    const seed = o.seed ?? 1;
    const companyId = o.companyId ?? 0xffff;
    const key = (p: number, dev: number) => deriveKey(sha256, o.root, p, dev, 1);

    this.tag = new VirtualTag(
      o.world,
      new VirtualFlash(40 * 1024),
      identityFromRoot(o.root, o.tagId, 1, companyId),
      defaultTagConfig(),
      seed * 7 + 1,
      false,
    );
    this.unitHw = createHardware(o.world, new VirtualFlash(64 * 1024), seed * 11 + 3);
    this.unitHw.battery.mv = 4000;
    this.queueFlash = new SparseSegmentStore(o.queueSegments ?? 64, o.queueSegmentSize ?? 4064);
    this.board = new FakeBoard(this.unitHw, 0);
    this.board.storage.write(
      RecordName.identity,
      encodeIdentity({
        unitId: o.unitId,
        keyVersion: 1,
        companyId: companyId,
        uplinkKey: key(KeyPurpose.unitUplink, o.unitId),
        downlinkKey: key(KeyPurpose.unitDownlink, o.unitId),
        wrapKey: key(KeyPurpose.unitKeyWrap, o.unitId),
      }),
    );
    savePairing(this.board.storage, {
      tagId: o.tagId,
      keyVersion: 1,
      beaconKey: key(KeyPurpose.tagBeacon, o.tagId),
    });
    this.board.storage.write(
      RecordName.network,
      encodeNetworkConfig({
        brokerHost: o.brokerHost,
        brokerPort: o.brokerPort,
        apn: "em.example",
        apnUser: "",
        apnPass: "",
        centreNumbers: o.centreNumbers,
        officerNumbers: o.officerNumbers ?? [],
        brokerPassword: o.brokerPassword,
        tls: o.tls,
      }),
    );

    this.modemClock = new FakeClock(o.world);
    this.modem = new VirtualModem({
      clock: this.modemClock,
      network: o.network,
      number: o.number,
      area: o.area === undefined ? "home-cell" : o.area,
      latency: o.latency,
      seed: seed,
      tcp: this.tracked ?? (o.tcp as TcpConnector),
      faults: o.faults ? new ModemFaults(o.faults) : undefined,
      // Off until the unit's driver powers it through the reset line, as on the board.
      autoBoot: false,
    });

    this.tag.start();
    this.bridgeRadio();
    const booted = this.bootUnit(BootReason.powerOn);
    this.currentApp = booted.app;
    this.currentUplink = booted.uplink;
  }

  get app(): BaseApp {
    return this.currentApp;
  }

  get uplink(): HomeUplink {
    return this.currentUplink;
  }

  /** The current boot of the unit's board. */
  get unitBoard(): FakeBoard {
    return this.board;
  }

  /** The subject cuts the strap (the tag's strap loop opens). */
  cutStrap(): void {
    this.tag.hw.strap.set(false);
  }

  restoreStrap(): void {
    this.tag.hw.strap.set(true);
  }

  /** Mains power at the unit's supply sense input. */
  setMains(on: boolean): void {
    this.unitHw.mains.set(on);
  }

  /** The subject presses the unit's button and lets go `holdMs` later. */
  pressButton(holdMs = PRESS_MS): void {
    this.button.set(true);
    this.o.world.schedule(() => this.button.set(false), holdMs, 0);
  }

  /** The unit's case switch (closed = true). */
  setCaseClosed(closed: boolean): void {
    this.unitHw.caseInput.set(closed);
  }

  /**
   * The unit loses power or its watchdog bites and boots again: the app and its uplink (driver,
   * MQTT client: RAM state) are gone; flash and the queue stay. The modem keeps running until
   * the new driver resets it (unless the reset line is not wired).
   */
  rebootUnit(reason: number = BootReason.watchdog): void {
    this.currentApp.stop();
    this.board = this.board.reboot();
    const booted = this.bootUnit(reason);
    this.currentApp = booted.app;
    this.currentUplink = booted.uplink;
  }

  /** Whether real TCP traffic may be in flight at the modem (or its answer still coming). */
  realIoPossible(): boolean {
    return this.tracked !== null && this.tracked.busy(QUIET_MS);
  }

  /** An advertisement from elsewhere on the radio — a replayed capture, a neighbour's tag —
   * reaches the unit's scanner (whatever `radioOn` says of the subject's own tag). */
  hearAdvert(a: { address: string; rssi: number; companyId: number; data: Uint8Array }): void {
    this.board.scanner.inject(a);
  }

  /** Other homes' units that hear this tag through a wall while the subject is at home (the
   * neighbours'); at NEIGHBOUR_RSSI, strong enough that only the tag id tells it apart. */
  readonly heardNextDoor = new Set<VirtualHome>();

  private bridgeRadio(): void {
    // The virtual radio: every frame the tag puts on air reaches the unit's current scanner.
    this.tag.board.advertiser.onAdvertise = (rec) => {
      const a = { address: "tag-" + this.tagId, companyId: rec.companyId, data: rec.data };
      if (!this.radioOn) {
        const relay = this.relay;
        if (relay !== null)
          this.board.clock.setTimeout(
            () => this.board.scanner.inject({ ...a, rssi: RELAY_RSSI }),
            relay.roundTripMs === null ? RELAY_ONE_WAY_MS : relay.roundTripMs / 2,
          );
        return;
      }
      const medium = this.medium;
      const spot = this.movement?.place.spot;
      const rssi = medium === null || spot === undefined ? this.rssi : medium.frame(spot);
      if (rssi !== null) this.board.scanner.inject({ ...a, rssi: rssi });
      for (const n of this.heardNextDoor) {
        // Through the medium: the neighbour's unit NEXT_DOOR_M further on, behind a party wall.
        const r =
          medium === null || spot === undefined
            ? NEIGHBOUR_RSSI
            : medium.frame({ distanceM: spot.distanceM + NEXT_DOOR_M, walls: spot.walls + 1 });
        if (r !== null) n.hearAdvert({ ...a, rssi: r });
      }
    };
  }

  private bootUnit(reason: number): { app: BaseApp; uplink: HomeUplink } {
    const o = this.o;
    const board = this.board;
    const modem = this.modem;
    this.button.attach(board.clock);
    const modemWiring = (): UplinkHardware => ({
      uart: modem.uart,
      clock: board.clock,
      random: () => board.crypto.next32() / 4294967296,
      resetModem: (done) => {
        if (o.modemResetLine === false) {
          done();
          return;
        }
        modem.powerOff();
        board.clock.setTimeout(() => {
          modem.powerOn();
          done();
        }, MODEM_RESET_MS);
      },
      indicator: board.indicator,
      button: this.button,
    });
    const hal: BaseHal = {
      clock: board.clock,
      // Rewritten records in the log on raw pages; provisioned ones read from Storage.
      storage: recordLog(this.recordFlash, board.storage),
      queueFlash: this.queueFlash,
      scanner: board.scanner,
      mains: board.mains,
      caseSwitch: board.caseInput,
      motion: null,
      battery: board.battery,
      watchdog: board.watchdog,
      indicator: board.indicator,
      crypto: board.crypto,
      tagLink: {
        // A write in range is taken at once (the GATT round trip is not modelled).
        send: (frame, sent) => {
          const relay = this.relay;
          if (!this.radioOn && relay === null) return false;
          if (sent) sent();
          if (this.radioOn) return this.tag.board.commands.deliver(frame);
          // The relay's transmitter at home takes the write; a two-way relay carries it on.
          const rt = relay === null ? null : relay.roundTripMs;
          if (rt !== null)
            this.board.clock.setTimeout(() => this.tag.board.commands.deliver(frame), rt / 2);
          return true;
        },
        heard: () => {},
      },
      restart: () => {
        this.restarts++;
        // The device restarts after the current call returns (E.reboot from a timeout).
        board.clock.setTimeout(() => this.rebootUnit(BootReason.commanded), 0);
      },
    };
    const unit = assembleHomeUnit(hal, modemWiring, null, reason, () => {});
    if (unit.app === null || unit.uplink === null)
      throw new Error("unit " + o.unitId + " not provisioned");
    return { app: unit.app, uplink: unit.uplink };
  }
}
