// The centre's liveness state across its own restarts (SPEC §13): when each unit was last heard,
// the heartbeat in force and the set_intervals awaiting an ack, and whether this silence was
// already alerted. A centre that keeps it in memory only forgets, at every deploy or crash, the
// units that had gone quiet before it — the subject who jams his unit a minute before a restart
// is never noticed — and, the other way, re-alerts every silence it had already reported.

import { readJsonFile, writeJsonFile } from "./state-file";

export interface LivenessState {
  /** Centre clock of the last fresh verified envelope; null before any. */
  lastHeardMs: number | null;
  /** The heartbeat (s) the unit acknowledged last, or the default. */
  heartbeatS: number;
  /** set_intervals heartbeats signed but not acknowledged: [downlink counter, heartbeat s]. */
  pending: [number, number][];
  /** The open unit_silent alert's raising time (centre clock); null while none is open. */
  alertedAtMs: number | null;
}

export interface LivenessStore {
  load(): Map<number, LivenessState>;
  /** Stores one unit's state; durable before it returns. */
  save(unitId: number, s: LivenessState): void;
}

/** A LivenessStore in one JSON file `{ "<unitId>": state }`, replaced atomically. */
export class JsonFileLivenessStore implements LivenessStore {
  private readonly all: Record<string, LivenessState>;

  constructor(private readonly path: string) {
    this.all = readJsonFile<Record<string, LivenessState>>(path, {});
  }

  load(): Map<number, LivenessState> {
    return new Map(Object.entries(this.all).map(([id, s]) => [Number(id), s]));
  }

  save(unitId: number, s: LivenessState): void {
    this.all[String(unitId)] = s;
    writeJsonFile(this.path, this.all);
  }
}
