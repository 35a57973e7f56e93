/**
 * CRC-32C (Castagnoli), the checksum of every VHDX header, region table and log entry. Node's
 * `zlib.crc32` is the IEEE polynomial, so this one is ours: table-driven, reflected 0x82F63B78.
 */
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

export function crc32c(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32C of `buf` with the 4-byte checksum field at `fieldOffset` taken as zero. */
export function crc32cWithZeroField(buf: Buffer, fieldOffset: number): number {
  const copy = Buffer.from(buf);
  copy.writeUInt32LE(0, fieldOffset);
  return crc32c(copy);
}
