/**
 * Notes an MBR or GPT partition table in the first sectors of a virtual disk. Informational: a
 * partition table inside raw data is legitimate (whole-disk images); it is reported, not refused.
 */

const GPT_SIGNATURE = Buffer.from('EFI PART', 'latin1');

/** Bytes of the virtual disk needed to decide (GPT header at LBA 1 of a 4Kn disk). */
export const PARTITION_PROBE_BYTES = 8192 + 512;

export function detectPartitionTable(head: Buffer): 'mbr' | 'gpt' | undefined {
  if (head.length < 512 || head[510] !== 0x55 || head[511] !== 0xaa) return undefined;

  // GPT: a protective 0xEE entry and the header at LBA 1 (512-byte or 4096-byte sectors).
  const hasProtective = [0, 1, 2, 3].some((i) => head[446 + i * 16 + 4] === 0xee);
  if (hasProtective) {
    for (const lba1 of [512, 4096]) {
      const sig = head.subarray(lba1, lba1 + 8);
      if (sig.length === 8 && sig.equals(GPT_SIGNATURE)) return 'gpt';
    }
  }

  // MBR: valid boot flags and at least one partition. A FAT boot sector also ends in 55 AA;
  // its BPB (two FATs, media byte 0xF8) tells it apart, as oslo's inspector does.
  const entries = [0, 1, 2, 3].map((i) => head.subarray(446 + i * 16, 462 + i * 16));
  if (entries.some((e) => e[0] !== 0x00 && e[0] !== 0x80)) return undefined;
  if (head[16] === 2 && head[21] === 0xf8) return undefined;
  const used = entries.filter((e) => e[4] !== 0 && e.readUInt32LE(12) !== 0);
  return used.length > 0 ? 'mbr' : undefined;
}
