// The engine-neutral self-test bundle (dist/firmware/selftest.js): runs on anything that offers
// `print` or `console.log` and ends with "N passed, M failed".

import { bytesChecks } from "./bytes-checks";
import { es5Canary } from "./es5-canary";
import { summary } from "./harness";

es5Canary();
bytesChecks();
summary();
