// npm run fuzz [-- inputsPerDecoder [seed]]: ≥ 1,000,000 inputs per decoder by default.

import { decoders, fuzzDecoder } from "./fuzz-decoders";

const inputs = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() & 0xffffffff);
console.log(`fuzz: ${inputs} inputs per decoder, seed ${seed}`);
for (const d of decoders()) {
  const t0 = performance.now();
  const s = fuzzDecoder(d.name, d.seeds, d.run, inputs, seed);
  const secs = (performance.now() - t0) / 1000;
  const top = Object.entries(s.rejected)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  console.log(
    `${d.name.padEnd(20)} ${inputs} inputs in ${secs.toFixed(1)} s, accepted ${s.accepted}; ${top}`,
  );
}
console.log("fuzz: no crash, every rejection typed");
