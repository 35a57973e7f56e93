import { reason } from '../errors.js';
import { readClamped } from '../source.js';
import { RawReader } from '../raw/raw-reader.js';
import type { ByteSource, FormatModule, InspectLimits, InspectResult } from '../types.js';

/**
 * ISO 9660: inspect only. An ISO is read as raw bytes; what matters is noticing one, so a qcow2
 * (or other) header planted in its system area is caught as format confusion by the dispatcher.
 *
 * TODO(udf): UDF-only media (BEA01/NSR02/NSR03 without CD001) are not recognised yet; they are
 * inspected as raw, which is still safe (raw is read as plain bytes) but reported less precisely.
 */

const SECTOR_BYTES = 2048;
const FIRST_DESCRIPTOR = 16 * SECTOR_BYTES;
const MAX_DESCRIPTORS = 64;
const CD001 = Buffer.from('CD001', 'latin1');

function hasIdentifier(buf: Buffer, at: number): boolean {
  return buf.length >= at + 6 && buf.subarray(at + 1, at + 6).equals(CD001);
}

export const isoModule: FormatModule = {
  format: 'iso',

  probe(head: Buffer): boolean {
    return hasIdentifier(head, FIRST_DESCRIPTOR);
  },

  async inspect(source: ByteSource, limits: InspectLimits): Promise<InspectResult> {
    const result: InspectResult = {
      format: 'iso',
      virtualSize: source.size,
      actualSize: source.size,
      features: [],
      safe: true,
      reasons: [],
    };
    void limits;

    // Walk the volume descriptor set to the primary descriptor (type 1), bounded.
    for (let i = 0; i < MAX_DESCRIPTORS; i++) {
      const at = FIRST_DESCRIPTOR + i * SECTOR_BYTES;
      const vd = await readClamped(source, at, SECTOR_BYTES);
      if (vd.length < SECTOR_BYTES || !hasIdentifier(vd, 0)) {
        result.reasons.push(reason('ISO_TRUNCATED', `volume descriptor ${i} is missing or cut`));
        break;
      }
      const type = vd[0];
      if (type === 255) {
        result.reasons.push(reason('ISO_NO_PRIMARY_DESCRIPTOR', 'no primary volume descriptor'));
        break;
      }
      if (type === 0) result.features.push('el-torito');
      if (type === 2) result.features.push('joliet');
      if (type !== 1) continue;

      // Both-endian fields: the little- and big-endian copies must agree.
      const blocks = vd.readUInt32LE(80);
      const blockSize = vd.readUInt16LE(128);
      if (blocks !== vd.readUInt32BE(84) || blockSize !== vd.readUInt16BE(130)) {
        result.reasons.push(reason('ISO_BAD_DESCRIPTOR', 'both-endian fields disagree'));
      } else if (blocks * blockSize > source.size) {
        result.reasons.push(
          reason('ISO_TRUNCATED', `volume is ${blocks * blockSize} bytes, file ${source.size}`),
        );
      }
      result.clusterSize = blockSize;
      break;
    }
    if (result.reasons.length === 0 && result.clusterSize === undefined) {
      result.reasons.push(reason('ISO_NO_PRIMARY_DESCRIPTOR', 'too many volume descriptors'));
    }
    result.safe = result.reasons.length === 0;
    return result;
  },

  async open(source: ByteSource, inspected: InspectResult) {
    return new RawReader(source, 'iso', inspected.virtualSize);
  },
};
