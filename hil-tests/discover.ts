// `npm run hil:discover [-- --out bench.json]`: a starting bench config from the serial devices
// this machine sees by stable id (/dev/serial/by-id/…). It guesses nothing it cannot know — which
// port is the tag, the ids, the broker — and says so: the file is for a person to finish.

import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseBenchConfig } from "./bench-config";

const BY_ID = "/dev/serial/by-id";

export function starterConfig(ports: string[]): string {
  const port = (i: number, what: string) => ports[i] ?? `/dev/serial/by-id/<the ${what}'s console>`;
  const config = {
    name: "bench-1",
    tag: { port: port(0, "tag"), id: 1 },
    unit: { port: port(1, "home unit"), id: 2 },
    broker: { url: "mqtt://127.0.0.1:1883", username: "em-centre", password: "<centre password>" },
    rootFile: "<the test fleet's root file (never a production root)>",
    unitBroker: {
      host: "<broker host as the unit reaches it>",
      port: 8883,
      tls: true,
      apn: "<the bench SIM's APN>",
      centre: "+37129000000",
    },
  };
  const text = JSON.stringify(config, null, 2) + "\n";
  parseBenchConfig(text, "starter"); // what it writes is a config the suite reads
  return text;
}

export function serialPorts(dir = BY_ID): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .sort()
        .map((n) => join(dir, n))
    : [];
}

if (process.argv[1]?.endsWith("discover.ts")) {
  const i = process.argv.indexOf("--out");
  const out = i > 0 ? process.argv[i + 1] : "bench.json";
  const ports = serialPorts();
  if (existsSync(out)) {
    console.error(`hil discover: ${out} exists; not overwritten`);
    process.exit(2);
  }
  writeFileSync(out, starterConfig(ports));
  console.log(
    ports.length === 0
      ? `no serial devices under ${BY_ID}: wrote ${out} with placeholders for the ports`
      : `wrote ${out}: ${ports.length} serial device(s) found (${ports.join(", ")}); check which is the tag and which the unit, set the ids and the broker`,
  );
  console.log(`then: HIL_BENCH=${out} npm run test:hil`);
}
