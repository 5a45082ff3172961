// Device entry for the tag on a Puck.js-class board (nRF52832). Loads the identity that
// provisioning wrote to Storage ("em.id", firmware/tag/tag-storage.ts) and starts the tag.
// Without a valid identity it says so on the console and sends no frames; the Bluetooth console
// stays available so the lab can provision it. Wiring and pins: hal-espruino-tag.ts.

import { bootTag } from "../../tag/tag-app";
import { defaultTagConfig } from "../../tag/tag-config";
import { espruinoTagHal } from "./hal-espruino-tag";

bootTag(espruinoTagHal(), defaultTagConfig(), (msg) => console.log(msg));
