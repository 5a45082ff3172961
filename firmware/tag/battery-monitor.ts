// Low-battery flag with hysteresis and confirmation. Pure: fed with readings.
//
//   flag  | reading            | after `confirm` such readings in a row
//   ------+--------------------+---------------------------------------
//   clear | < lowMv            | low
//   low   | >= clearMv         | clear
//   any   | anything else      | the run of readings starts again
//
// Between lowMv and clearMv nothing changes, so a cell resting near the threshold (lithium cells
// recover tens of mV between loads) cannot make the flag flap; one sagging reading cannot set it.
// The results are data fields, not getters: each getter is ~30 bytes of the tag's 8 KB.

export interface BatteryMonitor {
  /** Records a reading. Returns true when the low flag changed. */
  sample(mv: number): boolean;
  low: boolean;
  /** The latest reading, null before the first. */
  mv: number | null;
}

export function batteryMonitor(lowMv: number, clearMv: number, confirm: number): BatteryMonitor {
  let run = 0;
  const m: BatteryMonitor = {
    low: false,
    mv: null,
    sample: (mv) => {
      m.mv = mv;
      run = (m.low ? mv >= clearMv : mv < lowMv) ? run + 1 : 0;
      if (run < confirm) return false;
      run = 0;
      m.low = !m.low;
      return true;
    },
  };
  return m;
}
