// The reference receiver as a conformance-kit adapter: JSON lines in on stdin, one verdict line
// out per request, in order (README "Adapter protocol"). Run by `npm run conformance` when no
// other adapter is named, and the model for one written in another language.

import { createInterface } from "node:readline";
import { referenceJudge } from "./host-adapter";
import type { KitRequest } from "./kit-cases";

const judge = referenceJudge();
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  let id: unknown = null;
  let verdict: string;
  try {
    const r = JSON.parse(line) as KitRequest;
    id = r.id;
    verdict = judge(r);
  } catch (e) {
    verdict = "error: " + (e instanceof Error ? e.message : String(e));
  }
  process.stdout.write(JSON.stringify({ id, verdict }) + "\n");
});
