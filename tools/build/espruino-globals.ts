// Names Espruino defines at global scope. A device bundle runs at top level (firmware-build.ts,
// "top-level shape"), so a minified name that equals one of these would overwrite a built-in —
// a pin, a module or a function the firmware calls. The minifier is told never to invent them.
//
// Read off the Linux builds of Espruino 2v29 (`Object.getOwnPropertyNames(global)`), plus what
// the nRF52 boards add that a Linux build lacks (NRF, Bluetooth, Puck, Jolt, their pins). Pin
// names of any board are covered by pattern: a letter and digits (D0, A5, Q0, H3, LED1, BTN2).

const ENGINE_GLOBALS = (
  "quit JSON Function Object Array ArrayBuffer ArrayBufferView BTN Boolean DataView Date E Error " +
  "Float32Array Float64Array Graphics HIGH I2C Infinity Int16Array Int32Array Int8Array " +
  "InternalError LED LOW LoopbackA LoopbackB Math Modules NaN Number OneWire Pin Promise " +
  "ReferenceError RegExp SPI Serial StorageFile String SyntaxError TypeError USB Uint16Array " +
  "Uint24Array Uint32Array Uint8Array Uint8ClampedArray Waveform analogRead analogWrite arguments " +
  "atob btoa changeInterval clearInterval clearTimeout clearWatch console decodeURIComponent " +
  "digitalPulse digitalRead digitalWrite dump echo edit encodeURIComponent eval fs getPinMode " +
  "getSerial getTime global globalThis isFinite isNaN load parseFloat parseInt peek16 peek32 " +
  "peek8 pinMode poke16 poke32 poke8 print process require reset save setBusyIndicator " +
  "setInterval setSleepIndicator setTime setTimeout setWatch shiftOut trace " +
  // nRF52 boards (Puck.js, Jolt.js) and common Espruino globals a Linux build lacks
  "NRF Bluetooth BluetoothDevice BluetoothRemoteGATTServer BluetoothRemoteGATTService " +
  "BluetoothRemoteGATTCharacteristic Puck Jolt Pixl Bangle Badge MDBT42Q Terminal Storage Flash " +
  "Wifi WIFI Ethernet Microbit Trig Nucleo heatshrink crypto tensorflow NFC Qwiic Grove " +
  "EspruinoWiFi ESP32 ESP8266 Telnet Tab net http dgram tls"
).split(" ");

/** Every name that must not be a top-level name of a device bundle. */
export function espruinoGlobalNames(): string[] {
  const names = ENGINE_GLOBALS.slice();
  for (const letter of "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    for (let i = 0; i < 48; i++) names.push(letter + i);
  for (const p of ["LED", "BTN", "SPI", "I2C", "Serial"])
    for (let i = 0; i < 10; i++) names.push(p + i);
  return names;
}

let reserved: Set<string> | undefined;

export function isEspruinoGlobal(name: string): boolean {
  reserved ??= new Set(espruinoGlobalNames());
  return reserved.has(name);
}
