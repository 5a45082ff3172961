// A subject at home does not sit by the unit: he moves between rooms and the yard, and each of
// his tag's frames reaches the unit through the radio medium from where he is. Dwell times are
// exponential around each place's mean, the next place drawn by weight; he comes back in by the
// door (the living room). Seeded per subject.

import type { VirtualClock } from "../../firmware/testing/virtual-clock";
import type { Spot } from "../radio/medium";
import { seeded } from "../scenario/seeded-random";

export interface Place {
  name: string;
  /** Where it is, seen from the home unit. */
  spot: Spot;
  /** How often it is chosen as the next place. */
  weight: number;
  meanMinutes: number;
}

/** A flat or small house with a yard; the unit in the living room. Mean RSSI at the unit
 * (radio/medium.ts): living room −70 dBm, bedroom −82, kitchen −85, bathroom −86, yard −95 (the
 * edge: about half its frames are lost, which the unit's 180 s silence rule rides out). */
export const HOME_PLACES: Place[] = [
  { name: "living room", spot: { distanceM: 3, walls: 0 }, weight: 4, meanMinutes: 60 },
  { name: "bedroom", spot: { distanceM: 6, walls: 1 }, weight: 4, meanMinutes: 120 },
  { name: "kitchen", spot: { distanceM: 8, walls: 1 }, weight: 2, meanMinutes: 25 },
  { name: "bathroom", spot: { distanceM: 5, walls: 2 }, weight: 1, meanMinutes: 15 },
  // An exterior wall counts as two.
  { name: "yard", spot: { distanceM: 12, walls: 2 }, weight: 1, meanMinutes: 20 },
];

export class HomeMovement {
  /** The place now. */
  place: Place = HOME_PLACES[0];
  /** Places visited, for tests: [world ms, name]. */
  readonly visits: [number, string][] = [];
  private readonly random: () => number;
  private timer = 0;

  constructor(
    private readonly clock: VirtualClock,
    seed: number,
    private readonly places: Place[] = HOME_PLACES,
  ) {
    this.random = seeded(seed, 0x6d6f7665);
    this.enter(places[0]);
  }

  /** Back home: in by the door. */
  cameIn(): void {
    this.enter(this.places[0]);
  }

  stop(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = 0;
  }

  private enter(p: Place): void {
    this.stop();
    this.place = p;
    this.visits.push([this.clock.time, p.name]);
    const dwellMs = -Math.log(1 - this.random()) * p.meanMinutes * 60_000;
    this.timer = this.clock.schedule(() => this.enter(this.next()), Math.round(dwellMs), 0);
  }

  private next(): Place {
    const others = this.places.filter((x) => x !== this.place);
    let r = this.random() * others.reduce((n, x) => n + x.weight, 0);
    for (const x of others) {
      r -= x.weight;
      if (r < 0) return x;
    }
    return others[others.length - 1];
  }
}
