// npm run conformance [-- --adapter "<command line>"] [--json <file>]
// Checks a receiver implementation against every golden vector, clause by clause.

import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { kitCases } from "./kit-cases";
import { formatReport, ProcessJudge, runKit } from "./run-kit";

const USAGE = `usage: npm run conformance -- [--adapter "<command line>"] [--json <file>]

Sends every golden vector (protocol/vectors/*.json) to a receiver through the adapter protocol
(protocol/conformance/README.md: one JSON request per line on the adapter's stdin, one
{"id","verdict"} line back) and reports the verdicts clause by clause.

  --adapter  the adapter's command line (split at spaces); default: the reference receiver
  --json     also write every case's result to this file
exit: 0 conformant, 1 not conformant, 2 bad usage, 3 the adapter failed`;

async function main(argv: string[]): Promise<number> {
  let adapter: string[] | null = null;
  let json: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      console.log(USAGE);
      return 0;
    }
    if ((a === "--adapter" || a === "--json") && i + 1 < argv.length) {
      if (a === "--adapter") adapter = argv[++i].split(" ").filter((s) => s !== "");
      else json = argv[++i];
    } else {
      console.error("conformance: unknown or incomplete option " + a + "\n\n" + USAGE);
      return 2;
    }
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const cmd = adapter ?? [process.execPath, "--import", "tsx", join(here, "reference-adapter.ts")];
  const judge = new ProcessJudge(cmd[0], cmd.slice(1));
  const report = await runKit(judge.judge, kitCases());
  await judge.close();
  for (const line of formatReport(report)) console.log(line);
  if (json !== null) writeFileSync(json, JSON.stringify(report.results, null, 2) + "\n");
  const broken = report.results.every((r) => r.got.startsWith("error: adapter"));
  if (broken) return 3;
  return report.failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
