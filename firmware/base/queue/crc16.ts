// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): detects any torn or bit-rotted record; two
// bytes per record keep 10,000 events inside 256 KB.

export function crc16(data: Uint8Array, start: number, end: number, init: number): number {
  let crc = init;
  for (let i = start; i < end; i++) {
    crc ^= data[i] << 8;
    for (let b = 0; b < 8; b++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export const CRC16_INIT = 0xffff;
