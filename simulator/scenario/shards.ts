// A fleet split into shards: shard i of N simulates subjects [⌊i·n/N⌋, ⌊(i+1)·n/N⌋) — the same
// subjects whoever runs it (a worker thread here, a process or a Kubernetes indexed job
// elsewhere). A subject's whole life is in its shard: its seeds, its incidents (selected over
// the whole fleet, then kept where they fall), its expected alerts. What couples two subjects —
// a neighbour's tag through the wall — must fall inside one shard, or the split is refused.

import { unitIdText } from "@em-platform/protocol/core/topics";
import { unitIdOf } from "./ground-truth";
import { type Scenario, selected } from "./scenario";

export interface Shard {
  index: number;
  count: number;
}

export class ShardError extends Error {}

/** "i/N" (0 ≤ i < N). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m === null ? Number.NaN : Number(m[1]);
  const count = m === null ? Number.NaN : Number(m[2]);
  if (!(count >= 1 && index >= 0 && index < count))
    throw new ShardError(`--shard: "i/N" with 0 ≤ i < N, such as 0/2 (got "${text}")`);
  return { index, count };
}

/** The first subject of shard `index` of `count` (count gives the end). */
function boundary(s: Scenario, index: number, count: number): number {
  return Math.floor((index * s.subjects) / count);
}

/** The subjects shard `sh` simulates. */
export function subjectsOf(s: Scenario, sh: Shard): number[] {
  const out: number[] = [];
  for (let i = boundary(s, sh.index, sh.count); i < boundary(s, sh.index + 1, sh.count); i++)
    out.push(i);
  return out;
}

/** Refuses a split that separates two subjects an incident couples. */
export function checkSplit(s: Scenario, count: number): void {
  if (count > s.subjects)
    throw new ShardError(`${count} shards for ${s.subjects} subjects: at most one per subject`);
  const shardOf = (i: number) => {
    let k = 0;
    while (i >= boundary(s, k + 1, count)) k++;
    return k;
  };
  s.incidents.forEach((inc, k) => {
    if (inc.type !== "neighbourTag") return;
    for (const i of selected(s, inc, k)) {
      const next = (i + 1) % s.subjects;
      if (shardOf(i) !== shardOf(next))
        throw new ShardError(
          `incident ${k} (neighbourTag): subjects ${i} and ${next} would be in different shards of ${count}; run it in fewer`,
        );
    }
  });
}

/** The subject ids (as alerts name them) of a shard's subjects. */
export function subjectIdsOf(s: Scenario, sh: Shard): Set<string> {
  return new Set(subjectsOf(s, sh).map((i) => unitIdText(unitIdOf(i))));
}
