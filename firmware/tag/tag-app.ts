// The tag application: wires the tamper inputs, the battery monitor and the beacon scheduler to
// the HAL, signs every frame with the protocol core, and accepts authenticated commands.
//
// Order that matters (README-tag.md, "States and flags"):
// 1. a latch (or a re-arm) is written to flash BEFORE the frame that reports it is built;
// 2. a frame's counter is reserved in flash before it is used (SenderCounter, K = 64);
// 3. a command's counter is written to flash before the command acts, in the same record as
//    its effect, so neither a replay after reboot nor a half-done command is possible;
// 4. any change of the flags sends a burst at once; the watchdog is kicked only while frames
//    keep going out.
// Closure style: state lives in locals, which the minifier shortens (the tag budget is 8 KB).

import { BeaconFlag, encodeBeacon } from "../../protocol/src/core/beacon";
import { ReceiverCounter, SenderCounter } from "../../protocol/src/core/counters";
import { ErrorCode } from "../../protocol/src/core/errors";
import {
  TAG_COMMAND_LENGTH,
  TagCommandCode,
  verifyTagCommand,
} from "../../protocol/src/core/tag-command";
import type {
  AnalogInput,
  BleAdvertiser,
  BleCommandPort,
  Clock,
  Crypto,
  DigitalInput,
  Indicator,
  Storage,
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
  IDENTITY_RECORD,
  parseIdentity,
  stateStore,
  type TagIdentity,
  tickCounterStore,
} from "./tag-storage";
import { type TamperInput, tamperInput } from "./tamper-input";

/** What the tag needs from the board. caseInput, commands and indicator are optional. */
export interface TagHal {
  clock: Clock;
  storage: Storage;
  /** true = strap loop closed (intact). */
  strap: DigitalInput;
  /** true = case closed. */
  caseInput: DigitalInput | null;
  battery: AnalogInput;
  advertiser: BleAdvertiser;
  commands: BleCommandPort | null;
  watchdog: Watchdog;
  indicator: Indicator | null;
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
  frames: number;
  accepted: number;
  /** Bad MAC, another tag, another key version, malformed, or an over-long write. */
  forged: number;
  /** Counter not above the highest accepted (or too far ahead). */
  replayed: number;
  errors: number;
}

export interface TagApp {
  /** The status flags as they would go out now (SPEC §4). */
  flags(): number;
  /** Verifies and executes one command (SPEC §5). Returns a CommandResult. */
  command(b: Uint8Array): number;
  /** The beacon interval in force, ms. */
  intervalMs(): number;
  stats: TagStats;
}

const ASSEMBLY_TIMEOUT_MS = 2000;

/** Boots the tag: watchdog, counter reservation, inputs, timers, then a burst. */
export function startTag(hal: TagHal, id: TagIdentity, cfg: TagConfig): TagApp {
  const clock = hal.clock;
  const sha = hal.crypto.sha256;
  const store = stateStore(hal.storage);
  const state = store.load();
  const scheduler = beaconScheduler(
    cfg,
    state.intervalS > 0 ? state.intervalS * 1000 : cfg.beaconIntervalMs,
  );
  const battery = batteryMonitor(cfg.batteryLowMv, cfg.batteryClearMv, BATTERY_CONFIRM);
  const receiver =
    state.cmdHighest >= 0
      ? new ReceiverCounter(COMMAND_GAP, { highest: state.cmdHighest, mac: null })
      : new ReceiverCounter(COMMAND_GAP);
  const stats: TagStats = { frames: 0, accepted: 0, forged: 0, replayed: 0, errors: 0 };
  // Tamper channel i: 0 = strap, 1 = case. SPEC §4 puts the case flags two bits above the
  // strap's (open 0x01/0x04, latched 0x02/0x08); SPEC §5 its re-arm bit one above (0x01/0x02).
  const inputs: DigitalInput[] = [hal.strap];
  if (hal.caseInput !== null) inputs.push(hal.caseInput);
  const machines: TamperInput[] = [];
  const timers: number[] = [];
  const onDue: (() => void)[] = [];
  const assembly = new Uint8Array(TAG_COMMAND_LENGTH);
  let assemblyLen = 0;
  let assemblyAt = 0;
  let counter: SenderCounter | null = null;
  let rebooted = true;
  let sentFlags = -1;
  let frameTimer = 0;
  let lastFrameAt = 0;
  let lastGap = 0;

  function flags(): number {
    let f = 0;
    for (let i = 0; i < machines.length; i++) {
      if (machines[i].openNow()) f |= BeaconFlag.strapOpen << (2 * i);
      if (machines[i].latched()) f |= BeaconFlag.strapLatched << (2 * i);
    }
    if (battery.low()) f |= BeaconFlag.batteryLow;
    if (rebooted) f |= BeaconFlag.rebooted;
    return f;
  }

  function saveState(): boolean {
    try {
      store.save(state);
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
    frameTimer = clock.setTimeout(onFrame, gap);
    try {
      const c = (counter as SenderCounter).take();
      if (!c.ok) throw new Error(c.code);
      const f = flags();
      const frame = encodeBeacon(sha, id.beaconKey, id.companyId, {
        tagId: id.tagId,
        counter: c.value,
        flags: f,
        batteryMv: battery.mv(),
        keyVersion: id.keyVersion,
      });
      hal.advertiser.advertise(
        id.companyId,
        frame,
        scheduler.airIntervalMs(gap),
        hal.commands !== null,
      );
      sentFlags = f;
      lastFrameAt = now;
      lastGap = gap;
      stats.frames++;
    } catch (_e) {
      stats.errors++;
    }
  }

  function onFrame(): void {
    frameTimer = 0;
    sendFrame();
  }

  /** Persists new latches, then sends a burst if the flags differ from the last frame's. */
  function update(): void {
    let latches = 0;
    for (let i = 0; i < machines.length; i++) if (machines[i].latched()) latches |= 1 << i;
    if (latches !== state.latches) {
      state.latches = latches;
      saveState(); // on failure the flag still goes out: reporting a tamper beats hiding it
    }
    if (flags() === sentFlags) return;
    scheduler.startBurst();
    clock.clearTimeout(frameTimer);
    sendFrame();
  }

  // ------------------------------------------------------------------ tamper inputs

  function arm(i: number): void {
    clock.clearTimeout(timers[i]);
    timers[i] = 0;
    const due = machines[i].deadline();
    if (due >= 0) timers[i] = clock.setTimeout(onDue[i], Math.max(due - clock.monotonic(), 0));
  }

  function event(i: number, changed: boolean): void {
    if (changed) update();
    arm(i);
  }

  function watch(i: number): void {
    const latched = ((state.latches >> i) & 1) === 1;
    const m = tamperInput(cfg.debounceMs, inputs[i].read(), latched, clock.monotonic());
    machines.push(m);
    timers.push(0);
    onDue.push(() => {
      timers[i] = 0;
      event(i, m.tick(clock.monotonic()));
    });
    inputs[i].watch(EDGE_FILTER_MS, (level, atMs) => {
      event(i, m.level(level, atMs));
    });
    arm(i);
  }

  // ------------------------------------------------------------------ commands (SPEC §5)

  function command(b: Uint8Array): number {
    const v = verifyTagCommand(sha, id.commandKey, id.tagId, b);
    if (!v.ok || v.value.keyVersion !== id.keyVersion) {
      stats.forged++;
      return FORGED;
    }
    const cmd = v.value;
    const fresh = receiver.check(cmd.counter, cmd.mac);
    if (!fresh.ok) {
      if (fresh.code === ErrorCode.duplicate) return DUPLICATE;
      stats.replayed++;
      return REPLAYED;
    }
    stats.accepted++;
    // Decide, record (counter and effect in one write), then act.
    const latches = state.latches;
    const intervalS = state.intervalS;
    let clear = 0;
    let result = ACCEPTED;
    if (cmd.code === TagCommandCode.rearm) {
      for (let i = 0; i < machines.length; i++) {
        if (!(cmd.arg & (1 << i))) continue;
        if (machines[i].openNow()) result = REFUSED;
        else clear |= 1 << i;
      }
      state.latches = latches & ~clear;
    } else if (cmd.code === TagCommandCode.setBeaconInterval) state.intervalS = cmd.arg;
    state.cmdHighest = cmd.counter;
    if (!saveState()) {
      state.latches = latches;
      state.intervalS = intervalS;
      return FAILED;
    }
    for (let i = 0; i < machines.length; i++) if (clear & (1 << i)) machines[i].rearm();
    if (cmd.code === TagCommandCode.setBeaconInterval) scheduler.setIntervalMs(cmd.arg * 1000);
    if (cmd.code === TagCommandCode.identify && hal.indicator !== null)
      hal.indicator.signal({
        led: true,
        buzzer: true,
        onMs: 200,
        offMs: 800,
        totalMs: cmd.arg * 1000,
      });
    update();
    return result;
  }

  /** GATT writes: a 29-byte write is a command; shorter writes are joined (default MTU: 20). */
  function commandBytes(d: Uint8Array): void {
    const now = clock.monotonic();
    if (d.length === TAG_COMMAND_LENGTH) {
      assemblyLen = 0;
      command(d);
      return;
    }
    if (now - assemblyAt > ASSEMBLY_TIMEOUT_MS) assemblyLen = 0;
    assemblyAt = now;
    if (assemblyLen + d.length > TAG_COMMAND_LENGTH) {
      assemblyLen = 0;
      stats.forged++;
      return;
    }
    assembly.set(d, assemblyLen);
    assemblyLen += d.length;
    if (assemblyLen < TAG_COMMAND_LENGTH) return;
    assemblyLen = 0;
    command(assembly);
  }

  // ------------------------------------------------------------------ boot

  hal.watchdog.start(WATCHDOG_MS);
  hal.watchdog.kick();
  counter = new SenderCounter(
    tickCounterStore(hal.storage, COUNTER_K, COUNTER_FILE_SIZE),
    COUNTER_K,
  );
  for (let i = 0; i < inputs.length; i++) watch(i);
  battery.sample(hal.battery.readMv());
  clock.setInterval(() => {
    if (battery.sample(hal.battery.readMv())) update();
  }, cfg.batteryPeriodMs);
  clock.setTimeout(() => {
    rebooted = false;
    update();
  }, cfg.rebootFlagMs);
  // The watchdog is kicked only while frames go out on time.
  clock.setInterval(() => {
    if (clock.monotonic() - lastFrameAt - lastGap <= SUPERVISOR_MS) hal.watchdog.kick();
  }, SUPERVISOR_MS);
  if (hal.commands !== null) hal.commands.listen(commandBytes);
  update();

  return { flags: flags, command: command, intervalMs: scheduler.intervalMs, stats: stats };
}

/**
 * Boots a tag from its provisioned identity. Without a valid identity record it says so on the
 * console and sends no frames (and starts no watchdog, so the lab can still provision it).
 */
export function bootTag(hal: TagHal, cfg: TagConfig, log: (msg: string) => void): TagApp | null {
  const id = parseIdentity(hal.storage.read(IDENTITY_RECORD));
  if (id === null) {
    log("em: no valid " + IDENTITY_RECORD + ", not provisioned: no beacons");
    hal.advertiser.stop();
    return null;
  }
  return startTag(hal, id, cfg);
}
