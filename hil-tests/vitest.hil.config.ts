// `npm run test:hil`: the HIL suite (*.hil.test.ts) — on the bench HIL_BENCH names, else on the
// virtual bench — one file at a time against the wall clock, results in hil-results/ as JUnit
// XML and JSON beside each step's transcript.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["hil-tests/**/*.hil.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
    reporters: ["default", "junit", "json"],
    outputFile: { junit: "hil-results/junit.xml", json: "hil-results/results.json" },
  },
});
