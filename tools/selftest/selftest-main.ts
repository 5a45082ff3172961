// dist/firmware/selftest.js: the engine-neutral self-test. The ES5 canary, the protocol golden
// vectors and the device logic under virtual time, on any engine that offers `print` or
// `console.log`; ends with "N passed, M failed". Lives in tools/ because it embeds
// protocol/vectors, which firmware/ may not import; everything it runs is device code.

import { bytesChecks } from "../../firmware/selftest/bytes-checks";
import { engineCanary } from "../../firmware/selftest/engine-canary";
import { es5Canary } from "../../firmware/selftest/es5-canary";
import { summary } from "../../firmware/selftest/harness";
import { logicChecks } from "../../firmware/selftest/logic-checks";
import { protocolChecks } from "./protocol-checks";

es5Canary();
engineCanary();
bytesChecks();
protocolChecks();
logicChecks();
summary();
