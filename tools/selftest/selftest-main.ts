// dist/firmware/selftest.js: the protocol vectors and the device logic under virtual time, on any
// engine that offers `print` or `console.log`.

import { summary } from "./harness";
import { protocolChecks } from "./protocol-checks";

protocolChecks();
summary();
