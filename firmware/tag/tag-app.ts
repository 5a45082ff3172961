// The tag application: wires the tamper inputs, the battery monitor and the beacon scheduler to
// the HAL, signs every frame with the protocol core, and accepts authenticated commands.
//
// Order that matters (README-tag.md, "States and flags"):
// 1. a latch (or a re-arm) is written to flash BEFORE the frame that reports it is built;
// 2. a frame's counter is reserved in flash before it is used (SPEC §3's counterSender over
//    tickLog, K = 64, on raw flash pages outside Storage);
// 3. a command's counter is written to flash before the command acts, in the same record as
//    its effect, so neither a replay after reboot nor a half-done command is possible;
// 4. any change of the flags sends a burst at once; the watchdog is kicked only while frames
//    keep going out.
// Closure style: state lives in locals, which the minifier shortens (the tag budget is 8 KB).

import { BeaconFlag, encodeBeacon } from "@em-platform/protocol/core/beacon";
import { readU16BE, sliceBytes } from "@em-platform/protocol/core/bytes";
import { CHALLENGE_LENGTH, CHALLENGE_VERSION_TYPE } from "@em-platform/protocol/core/challenge";
import { classifyCounter, counterSender } from "@em-platform/protocol/core/counter-rules";
import {
  TAG_COMMAND_LENGTH,
  TagCommandCode,
  tagCommandFaultIndex,
  tagCommandFields,
  tagCommandMacOk,
} from "@em-platform/protocol/core/tag-command";
import type {
  AnalogInput,
  BleAdvertiser,
  BleCommandPort,
  Clock,
  Crypto,
  DigitalInput,
  Indicator,
  Watchdog,
} from "../hal/hal";
import { batteryMonitor } from "./battery-monitor";
import { beaconScheduler } from "./beacon-scheduler";
import {
  BATTERY_CONFIRM,
  COMMAND_GAP,
  COUNTER_K,
  EDGE_FILTER_MS,
  SUPERVISOR_MS,
  type TagConfig,
  WATCHDOG_MS,
} from "./tag-config";
import {
  COUNTER_FILE_SIZE,
  COUNTER_FILES,
  type CounterPages,
  IDENTITY_RECORD,
  parseIdentity,
  stateStore,
  storagePages,
  type TagIdentity,
  type TagState,
  type TagStorage,
  tickLog,
} from "./tag-storage";
import { type TamperInput, tamperInput } from "./tamper-input";

/** A tamper input as the tag uses it: true = closed (strap loop intact, case shut). */
export type TagInput = Pick<DigitalInput, "read" | "watch">;

/**
 * What the tag needs from the board: only the parts of each HAL interface it calls, so a board
 * binding for the tag can leave the rest out. caseInput, commands and indicator are optional.
 */
export interface TagHal {
  clock: Pick<Clock, "monotonic" | "setTimeout" | "clearTimeout" | "setInterval">;
  storage: TagStorage;
  /** Free raw flash pages outside Storage for the counter log; null: none, the log stays in
   * Storage files (README-tag.md, "Counter and flash"). */
  counterPages: CounterPages | null;
  strap: TagInput;
  caseInput: TagInput | null;
  battery: AnalogInput;
  advertiser: Pick<BleAdvertiser, "advertise">;
  commands: BleCommandPort | null;
  watchdog: Watchdog;
  indicator: Pick<Indicator, "signal"> | null;
  crypto: Crypto;
}

const ACCEPTED = 0;
/** Authentic and fresh, but a re-arm of an input that is open now: that latch stays. */
const REFUSED = 1;
const FORGED = 2;
const REPLAYED = 3;
/** The last accepted command again (a retried write): ignored, not counted (SPEC §3). */
const DUPLICATE = 4;
/** Authentic and fresh, but flash refused to record it: nothing was done. */
const FAILED = 5;
export const CommandResult = {
  accepted: ACCEPTED,
  refused: REFUSED,
  forged: FORGED,
  replayed: REPLAYED,
  duplicate: DUPLICATE,
  failed: FAILED,
};

/** Counters for diagnostics (console, simulator, HIL). Not persisted. */
export interface TagStats {
  accepted: number;
  /** Bad MAC, another tag, another key version, malformed, or an over-long write. */
  forged: number;
  /** Counter not above the highest accepted (or too far ahead). */
  replayed: number;
  /** Frames not sent and state not saved, because flash or the radio refused. */
  errors: number;
}

export interface TagApp {
  /** Verifies and executes one command (SPEC §5). Returns a CommandResult. */
  command(b: Uint8Array): number;
  stats: TagStats;
}

const ASSEMBLY_TIMEOUT_MS = 2000;

/** Boots the tag: watchdog, inputs, timers, then a burst (its first frame reserves counters). */
export function startTag(hal: TagHal, id: TagIdentity, cfg: TagConfig): TagApp {
  const clock = hal.clock;
  const sha = hal.crypto.sha256;
  const store = stateStore(hal.storage);
  let state = store.load();
  const scheduler = beaconScheduler(
    cfg,
    state.intervalS > 0 ? state.intervalS * 1000 : cfg.beaconIntervalMs,
  );
  const battery = batteryMonitor(cfg.batteryLowMv, cfg.batteryClearMv, BATTERY_CONFIRM);
  // Without free flash pages the log stays in Storage files (README-tag.md, "Counter and flash").
  const counterLog = tickLog(
    hal.counterPages || storagePages(hal.storage, COUNTER_FILES, COUNTER_FILE_SIZE),
    COUNTER_K,
  );
  /** Made by the first frame, whose counter it reserves (SPEC §3); null until flash took that. */
  let nextCounter: (() => number) | null = null;
  const stats: TagStats = { accepted: 0, forged: 0, replayed: 0, errors: 0 };
  // Tamper channel i: 0 = strap, 1 = case. SPEC §4 puts the case flags two bits above the
  // strap's (open 0x01/0x04, latched 0x02/0x08); SPEC §5 its re-arm bit one above (0x01/0x02).
  const machines: TamperInput[] = [];
  const assembly = new Uint8Array(TAG_COMMAND_LENGTH);
  let assemblyLen = 0;
  let assemblyAt = 0;
  /** MAC of the last accepted command, to tell a retried write from a replay (this boot only). */
  let lastMac: Uint8Array | null = null;
  let rebooted = true;
  let sentFlags = -1;
  let frameTimer = 0;
  /** When the next frame was due after the last one that went out (the watchdog's measure). */
  let frameDue = 0;
  /** The nonce of the unit's last challenge (SPEC §5; its low 3 bits are 0), echoed in every
   * frame with the frames sent since it in those bits; 0 = none yet. */
  let echo = 0;
  let sinceChallenge = 0;

  function flags(): number {
    let f = battery.low ? BeaconFlag.batteryLow : 0;
    if (rebooted) f |= BeaconFlag.rebooted;
    for (let i = 0; i < machines.length; i++) {
      if (machines[i].openNow) f |= BeaconFlag.strapOpen << (2 * i);
      if (machines[i].latched) f |= BeaconFlag.strapLatched << (2 * i);
    }
    return f;
  }

  function save(s: TagState): boolean {
    try {
      store.save(s);
      state = s;
      return true;
    } catch (_e) {
      stats.errors++;
      return false;
    }
  }

  function sendFrame(): void {
    const now = clock.monotonic();
    const r = hal.crypto.randomBytes(2);
    const gap = scheduler.next((r[0] << 8) | r[1]);
    // The next frame is scheduled first, so a failure below cannot end the loop.
    frameTimer = clock.setTimeout(() => {
      frameTimer = 0;
      sendFrame();
    }, gap);
    try {
      if (nextCounter === null) nextCounter = counterSender(counterLog, COUNTER_K);
      const counter = nextCounter();
      if (counter < 0) throw counter; // all 2^32 used: no frame, counted as an error below
      const f = flags();
      const strap = machines[0];
      hal.advertiser.advertise(
        id.companyId,
        encodeBeacon(sha, id.beaconKey, id.companyId, {
          tagId: id.tagId,
          counter: counter,
          flags: f,
          batteryMv: battery.mv,
          keyVersion: id.keyVersion,
          // The extended beacon (SPEC §4): when the strap latched, so a cut while away from
          // home is placed in time when the unit next hears the tag.
          strapLatchAgeS: strap.latchedAt < 0 ? null : (now - strap.latchedAt) / 1000,
          // The count places each frame of the answering burst in time (SPEC §5).
          echo: echo && echo | Math.min(sinceChallenge++, 7),
        }),
        scheduler.airIntervalMs(gap),
        hal.commands !== null,
      );
      sentFlags = f;
      frameDue = now + gap;
    } catch (_e) {
      stats.errors++;
    }
  }

  /** Persists new latches, then sends a burst if the flags differ from the last frame's. */
  function update(): void {
    let latches = 0;
    for (let i = 0; i < machines.length; i++) if (machines[i].latched) latches |= 1 << i;
    // On a failed write the flag still goes out: reporting a tamper beats hiding it.
    if (latches !== state.latches)
      save({ latches: latches, intervalS: state.intervalS, cmdHighest: state.cmdHighest });
    if (flags() !== sentFlags) burst();
  }

  function burst(): void {
    scheduler.startBurst();
    clock.clearTimeout(frameTimer);
    sendFrame();
  }

  // ------------------------------------------------------------------ tamper inputs

  function watch(input: TagInput, i: number): void {
    const m = tamperInput(
      cfg.debounceMs,
      input.read(),
      ((state.latches >> i) & 1) === 1,
      clock.monotonic(),
    );
    let timer = 0;
    /** After every edge or deadline: report a change, then wait for the next deadline. */
    function event(changed: boolean): void {
      if (changed) update();
      clock.clearTimeout(timer);
      timer =
        m.deadline < 0
          ? 0
          : clock.setTimeout(
              () => {
                timer = 0; // fired: the handle may be reused, so it must not be cleared later
                event(m.tick(clock.monotonic()));
              },
              Math.max(m.deadline - clock.monotonic(), 0),
            );
    }
    machines.push(m);
    input.watch(EDGE_FILTER_MS, (level, atMs) => event(m.level(level, atMs)));
    event(false);
  }

  // ------------------------------------------------------------------ commands (SPEC §5)

  function command(b: Uint8Array): number {
    const c = tagCommandFaultIndex(b) === 0 ? tagCommandFields(b) : null;
    if (
      c === null ||
      c.tagId !== id.tagId ||
      c.keyVersion !== id.keyVersion ||
      !tagCommandMacOk(sha, id.commandKey, b)
    ) {
      stats.forged++;
      return FORGED;
    }
    // SPEC §3 freshness, gap G; lastMac tells a retried write (the highest again) from a replay.
    const fresh = classifyCounter(state.cmdHighest, lastMac, COMMAND_GAP, c.counter, c.mac);
    if (fresh === "duplicate") return DUPLICATE;
    if (fresh !== "fresh") {
      stats.replayed++;
      return REPLAYED;
    }
    // Decide, record (counter and effect in one write), then act.
    let clear = 0;
    let result = ACCEPTED;
    if (c.code === TagCommandCode.rearm)
      for (let i = 0; i < machines.length; i++)
        if (c.arg & (1 << i)) {
          if (machines[i].openNow) result = REFUSED;
          else clear |= 1 << i;
        }
    const interval = c.code === TagCommandCode.setBeaconInterval;
    if (
      !save({
        latches: state.latches & ~clear,
        intervalS: interval ? c.arg : state.intervalS,
        cmdHighest: c.counter,
      })
    )
      return FAILED;
    stats.accepted++;
    lastMac = sliceBytes(c.mac, 0, c.mac.length);
    for (let i = 0; i < machines.length; i++) if (clear & (1 << i)) machines[i].rearm();
    if (interval) scheduler.intervalMs = c.arg * 1000;
    if (c.code === TagCommandCode.identify && hal.indicator !== null)
      hal.indicator.signal({
        led: true,
        buzzer: true,
        onMs: 200,
        offMs: 800,
        totalMs: c.arg * 1000,
      });
    update();
    return result;
  }

  /** GATT writes: a 29-byte write is a command; shorter writes are joined (default MTU: 20);
   * a 7-byte challenge between commands is answered at once with a burst that echoes it. */
  function commandBytes(d: Uint8Array): void {
    const now = clock.monotonic();
    // A whole command, or a fragment after a pause, starts a new one.
    let n =
      d.length === TAG_COMMAND_LENGTH || now - assemblyAt > ASSEMBLY_TIMEOUT_MS ? 0 : assemblyLen;
    if (n === 0 && d.length === CHALLENGE_LENGTH && d[0] === CHALLENGE_VERSION_TYPE) {
      echo = readU16BE(d, 5);
      sinceChallenge = 0;
      burst();
      return;
    }
    assemblyAt = now;
    assemblyLen = 0;
    if (n + d.length > TAG_COMMAND_LENGTH) {
      stats.forged++;
      return;
    }
    assembly.set(d, n);
    n += d.length;
    if (n < TAG_COMMAND_LENGTH) assemblyLen = n;
    else command(assembly);
  }

  // ------------------------------------------------------------------ boot

  hal.watchdog.start(WATCHDOG_MS);
  watch(hal.strap, 0);
  if (hal.caseInput !== null) watch(hal.caseInput, 1);
  function readBattery(): void {
    if (battery.sample(hal.battery.readMv())) update();
  }
  readBattery();
  clock.setInterval(readBattery, cfg.batteryPeriodMs);
  clock.setTimeout(() => {
    rebooted = false;
    update();
  }, cfg.rebootFlagMs);
  // The watchdog is kicked only while frames go out on time.
  clock.setInterval(() => {
    if (clock.monotonic() - frameDue <= SUPERVISOR_MS) hal.watchdog.kick();
  }, SUPERVISOR_MS);
  if (hal.commands !== null) hal.commands.listen(commandBytes);
  update();

  return { command: command, stats: stats };
}

/**
 * Boots a tag from its provisioned identity. Without a valid identity record it says so on the
 * console and sends no frames (and starts no watchdog, so the lab can still provision it); the
 * board's own advertising, untouched, stays on.
 */
export function bootTag(hal: TagHal, cfg: TagConfig, log: (msg: string) => void): TagApp | null {
  const id = parseIdentity(hal.storage.read(IDENTITY_RECORD));
  if (id !== null) return startTag(hal, id, cfg);
  log("em: no valid " + IDENTITY_RECORD + ": no beacons");
  return null;
}
