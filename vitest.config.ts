import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    // *.engine.test.ts run the bundles on the real device engines in real time: `npm run
    // test:device` (vitest.device.config.ts), not here; *.hil.test.ts is the HIL suite,
    // `npm run test:hil` (hil-tests/vitest.hil.config.ts).
    exclude: ["node_modules/**", "dist/**", "**/*.engine.test.ts", "**/*.hil.test.ts"],
    testTimeout: 60_000,
    // Hooks build device bundles: ~3 s idle, far longer with both cores busy.
    hookTimeout: 120_000,
    // Vitest's default, one worker fewer than the cores, is one worker on a 2-core CI machine,
    // where the live conformance kit's file then holds the only worker for ~4 minutes, most of
    // it waiting on a heartbeat. Two workers at least.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
