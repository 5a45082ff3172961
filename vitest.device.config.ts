// `npm run test:device`: every *.engine.test.ts — the shipped bundles on the real device
// engines (tools/engines/, ../shared/engines or EM_ENGINES_DIR), in real time, one file at a
// time (each drives interpreters, ptys and sockets against the wall clock). Without the
// engines (or socat) each file skips and prints why.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.engine.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    fileParallelism: false,
    testTimeout: 180_000,
    // Building the bundles a file tests takes ~10 s idle, much longer on a loaded machine.
    hookTimeout: 300_000,
  },
});
