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

export interface BatteryMonitor {
  /** Records a reading. Returns true when the low flag changed. */
  sample(mv: number): boolean;
  low(): boolean;
  /** The latest reading, null before the first. */
  mv(): number | null;
}

export function batteryMonitor(lowMv: number, clearMv: number, confirm: number): BatteryMonitor {
  let low = false;
  let last: number | null = null;
  let run = 0;
  return {
    sample: (mv) => {
      last = mv;
      run = (low ? mv >= clearMv : mv < lowMv) ? run + 1 : 0;
      if (run < confirm) return false;
      run = 0;
      low = !low;
      return true;
    },
    low: () => low,
    mv: () => last,
  };
}
