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
  },
});
