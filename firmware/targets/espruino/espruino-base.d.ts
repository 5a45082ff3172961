// Espruino globals only the home unit uses (nRF52840 class, e.g. Jolt.js), merged into the
// interfaces of espruino.d.ts. Signatures from espruino.com/Reference (NRF.connect,
// BluetoothRemoteGATT*, E.reboot, peek32, analogRead) and src/jswrap_flash.c (Flash).

/** A GATT promise as Espruino returns it: only then/catch, and we only use then. */
interface EspruinoThenable<T> {
  then<U>(
    ok: (value: T) => U | EspruinoThenable<U>,
    fail?: (e: unknown) => void,
  ): EspruinoThenable<U>;
}

interface EspruinoGattCharacteristic {
  writeValue(data: Uint8Array): EspruinoThenable<void>;
}

interface EspruinoGattService {
  getCharacteristic(uuid: string): EspruinoThenable<EspruinoGattCharacteristic>;
}

interface EspruinoGattServer {
  getPrimaryService(uuid: string): EspruinoThenable<EspruinoGattService>;
  disconnect(): void;
}

interface EspruinoNRF {
  /** Connects to a peripheral by address ("aa:bb:cc:dd:ee:ff random"); the connection interval
   * range in ms (7.5 ms … 4 s; Espruino's default is 20–200 ms). */
  connect(
    address: string,
    options?: { minInterval: number; maxInterval: number },
  ): EspruinoThenable<EspruinoGattServer>;
}

interface EspruinoE {
  reboot(): void;
}

/** require("Flash"): raw pages. write: data and address multiples of 4; only 1→0 bits. */
interface EspruinoFlash {
  getFree(): { addr: number; length: number }[];
  getPage(addr: number): { addr: number; length: number } | undefined;
  erasePage(addr: number): void;
  write(data: Uint8Array, addr: number): void;
  read(length: number, addr: number): Uint8Array | undefined;
}

declare const D3: EspruinoPin;
declare const D4: EspruinoPin;
declare const D5: EspruinoPin;
declare const D6: EspruinoPin;
declare const D7: EspruinoPin;
declare const D8: EspruinoPin;
declare const D9: EspruinoPin;
declare const D10: EspruinoPin;
declare const D31: EspruinoPin;

/** 0…1 of the ADC's reference (3.6 V full scale on nRF52 with Espruino's default gain). */
declare function analogRead(pin: EspruinoPin): number;
declare function digitalWrite(pin: EspruinoPin, value: boolean): void;
/** Reads a 32-bit word of the address space (nRF52 registers). */
declare function peek32(addr: number): number;
declare function poke32(addr: number, value: number): void;
