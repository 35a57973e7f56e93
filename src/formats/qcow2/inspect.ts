import { reason } from '../errors.js';
import { readClamped } from '../source.js';
import type { ByteSource, InspectLimits, InspectResult, RefusalReason } from '../types.js';
import {
  EXT_BACKING_FORMAT,
  EXT_BITMAPS,
  EXT_DATA_FILE,
  EXT_END,
  EXT_FULL_DISK_ENCRYPTION,
  INCOMPAT_COMPRESSION_TYPE,
  INCOMPAT_CORRUPT,
  INCOMPAT_DATA_FILE,
  INCOMPAT_DIRTY,
  INCOMPAT_EXTENDED_L2,
  INCOMPAT_KNOWN,
  MAX_CLUSTER_BITS,
  MAX_L1_BYTES,
  MAX_REFCOUNT_TABLE_BYTES,
  MAX_SNAPSHOTS,
  MIN_CLUSTER_BITS,
  QCOW2_MAGIC,
  V2_HEADER_BYTES,
  V3_MIN_HEADER_BYTES,
  decodeL1,
  decodeL2,
  readU64,
  type Qcow2Layout,
} from './constants.js';

/**
 * Inspects a qcow2 header and its L1/L2 tables with bounded reads. Anything that can make a
 * reader touch another file (backing file, external data file, unknown incompatible features)
 * or read outside this one is refused with its own code.
 */
export async function inspectQcow2(
  source: ByteSource,
  limits: InspectLimits,
): Promise<InspectResult> {
  const reasons: RefusalReason[] = [];
  const features: string[] = [];
  const result: InspectResult = {
    format: 'qcow2',
    virtualSize: 0,
    actualSize: source.size,
    features,
    safe: false,
    reasons,
  };
  const refuse = (code: string, message: string) => {
    if (!reasons.some((r) => r.code === code)) reasons.push(reason(code, message));
  };
  const done = () => {
    result.safe = reasons.length === 0;
    return result;
  };

  const fixed = await readClamped(source, 0, V3_MIN_HEADER_BYTES);
  if (fixed.length < V2_HEADER_BYTES || fixed.readUInt32BE(0) !== QCOW2_MAGIC) {
    refuse('QCOW2_TRUNCATED', `header needs ${V2_HEADER_BYTES} bytes, file has ${source.size}`);
    return done();
  }

  const version = fixed.readUInt32BE(4);
  if (version !== 2 && version !== 3) {
    refuse('QCOW2_UNSUPPORTED_VERSION', `version ${version} (only 2 and 3 are supported)`);
    return done();
  }
  result.subformat = `v${version}`;
  if (version === 3 && fixed.length < V3_MIN_HEADER_BYTES) {
    refuse('QCOW2_TRUNCATED', 'version 3 header is cut short');
    return done();
  }

  const backingOffset = readU64(fixed, 8);
  const backingSize = fixed.readUInt32BE(16);
  const clusterBits = fixed.readUInt32BE(20);
  const size = readU64(fixed, 24);
  const cryptMethod = fixed.readUInt32BE(32);
  const l1Size = fixed.readUInt32BE(36);
  const l1Offset = readU64(fixed, 40);
  const refcountOffset = readU64(fixed, 48);
  const refcountClusters = fixed.readUInt32BE(56);
  const nbSnapshots = fixed.readUInt32BE(60);
  const snapshotsOffset = readU64(fixed, 64);

  if (backingOffset !== 0 || backingSize !== 0) {
    refuse('QCOW2_BACKING_FILE', 'the image names a backing file');
  }
  if (cryptMethod !== 0) refuse('QCOW2_ENCRYPTED', `encryption method ${cryptMethod}`);
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
    refuse('QCOW2_BAD_CLUSTER_BITS', `cluster_bits ${clusterBits} outside 9..21`);
    return done();
  }
  const clusterSize = 2 ** clusterBits;
  result.clusterSize = clusterSize;

  let headerLength = V2_HEADER_BYTES;
  let refcountOrder = 4;
  if (version === 3) {
    // v2 has no feature words: bytes 72+ of a v2 header must not be read as flags.
    const incompat = readU64(fixed, 72);
    const incompatLo = fixed.readUInt32BE(76);
    const incompatHi = fixed.readUInt32BE(72);
    if (incompatHi !== 0 || (incompatLo & ~INCOMPAT_KNOWN) !== 0) {
      refuse(
        'QCOW2_UNKNOWN_INCOMPATIBLE_FEATURE',
        `incompatible feature bits 0x${incompat.toString(16)}`,
      );
    }
    if (incompatLo & INCOMPAT_DATA_FILE) refuse('QCOW2_DATA_FILE', 'external data file flag set');
    if (incompatLo & INCOMPAT_DIRTY) refuse('QCOW2_DIRTY', 'dirty flag set (refcounts unreliable)');
    if (incompatLo & INCOMPAT_CORRUPT) refuse('QCOW2_CORRUPT', 'corrupt flag set');
    if (incompatLo & INCOMPAT_EXTENDED_L2) {
      refuse('QCOW2_EXTENDED_L2', 'extended L2 entries (subclusters) are not supported');
    }
    refcountOrder = fixed.readUInt32BE(96);
    headerLength = fixed.readUInt32BE(100);
    if (
      headerLength < V3_MIN_HEADER_BYTES ||
      headerLength % 8 !== 0 ||
      headerLength > clusterSize
    ) {
      refuse('QCOW2_BAD_HEADER', `header_length ${headerLength}`);
      return done();
    }
    if (refcountOrder > 6) refuse('QCOW2_BAD_HEADER', `refcount_order ${refcountOrder}`);
    if (incompatLo & INCOMPAT_COMPRESSION_TYPE) {
      const head = await readClamped(source, 0, headerLength);
      const type = head.length > 104 ? head[104] : -1;
      if (type !== 0) refuse('QCOW2_UNSUPPORTED_COMPRESSION', `compression type ${type} (zstd?)`);
    }
  }

  // Virtual size: a safe integer, under the ceiling, and covered by the L1 table.
  if (size < 0) {
    refuse('QCOW2_BAD_SIZE', 'virtual size does not fit in 2^53');
    return done();
  }
  result.virtualSize = size;
  if (size > limits.maxVirtualSizeBytes) {
    refuse('VIRTUAL_SIZE_TOO_LARGE', `${size} bytes > limit ${limits.maxVirtualSizeBytes}`);
    return done();
  }
  const l2Entries = clusterSize / 8;
  const neededL1 = Math.ceil(Math.ceil(size / clusterSize) / l2Entries);
  if (l1Size < neededL1) {
    refuse('QCOW2_L1_TOO_SMALL', `l1_size ${l1Size} cannot map ${size} bytes (needs ${neededL1})`);
  }
  const l1Bytes = l1Size * 8;
  if (l1Bytes > Math.min(MAX_L1_BYTES, limits.maxTableBytes)) {
    refuse('QCOW2_TABLE_TOO_LARGE', `L1 table of ${l1Bytes} bytes`);
    return done();
  }

  // Table placement: aligned, past the header cluster, inside the file, not overlapping.
  const regions: { name: string; start: number; end: number }[] = [];
  const placeTable = (name: string, offset: number, bytes: number, maxBytes: number) => {
    if (bytes === 0) return true;
    if (bytes > maxBytes) {
      refuse('QCOW2_TABLE_TOO_LARGE', `${name} of ${bytes} bytes`);
      return false;
    }
    if (offset < 0 || offset % clusterSize !== 0) {
      refuse('QCOW2_MISALIGNED_TABLE', `${name} at ${offset}`);
      return false;
    }
    if (offset < clusterSize) {
      refuse('QCOW2_OVERLAPS_HEADER', `${name} at ${offset} overlaps the header cluster`);
      return false;
    }
    if (offset + bytes > source.size) {
      refuse('QCOW2_TABLE_OUTSIDE_FILE', `${name} at ${offset}+${bytes} past the end of the file`);
      return false;
    }
    const clash = regions.find((r) => offset < r.end && r.start < offset + bytes);
    if (clash) {
      refuse('QCOW2_TABLES_OVERLAP', `${name} overlaps the ${clash.name}`);
      return false;
    }
    regions.push({ name, start: offset, end: offset + bytes });
    return true;
  };
  const l1Ok = placeTable('L1 table', l1Offset, l1Bytes, MAX_L1_BYTES);
  if (refcountClusters === 0) refuse('QCOW2_BAD_HEADER', 'no refcount table');
  placeTable(
    'refcount table',
    refcountOffset,
    refcountClusters * clusterSize,
    Math.min(MAX_REFCOUNT_TABLE_BYTES, limits.maxTableBytes),
  );
  if (nbSnapshots > 0) {
    features.push('internal-snapshots');
    if (nbSnapshots > MAX_SNAPSHOTS) refuse('QCOW2_BAD_HEADER', `${nbSnapshots} snapshots`);
    else if (
      snapshotsOffset < clusterSize ||
      snapshotsOffset >= source.size ||
      snapshotsOffset % clusterSize
    ) {
      refuse('QCOW2_TABLE_OUTSIDE_FILE', `snapshot table at ${snapshotsOffset}`);
    }
  }

  // Header extensions: bounded by the header cluster.
  if (version === 3) {
    const head = await source.read(0, Math.min(clusterSize, source.size));
    let at = headerLength;
    for (let n = 0; ; n++) {
      if (at + 8 > head.length || n > 1024) {
        refuse('QCOW2_BAD_HEADER', 'header extensions run past the header cluster');
        break;
      }
      const type = head.readUInt32BE(at);
      const len = head.readUInt32BE(at + 4);
      if (type === EXT_END) break;
      const next = at + 8 + Math.ceil(len / 8) * 8;
      if (next > head.length) {
        refuse('QCOW2_BAD_HEADER', `header extension 0x${type.toString(16)} overruns the header`);
        break;
      }
      if (type === EXT_BACKING_FORMAT) refuse('QCOW2_BACKING_FILE', 'backing format extension');
      if (type === EXT_DATA_FILE) refuse('QCOW2_DATA_FILE', 'external data file name extension');
      if (type === EXT_FULL_DISK_ENCRYPTION) refuse('QCOW2_ENCRYPTED', 'encryption header');
      if (type === EXT_BITMAPS) features.push('bitmaps');
      at = next;
    }
  }

  if (reasons.length > 0 || !l1Ok) return done();

  // Walk L1 and every L2 table (bounded by maxTableBytes) so the reader never meets a pointer
  // the inspector has not checked.
  const layout: Qcow2Layout = {
    version,
    clusterBits,
    virtualSize: size,
    l1Offset,
    l1Size,
    fileSize: source.size,
  };
  const l1 = await source.read(l1Offset, l1Bytes);
  let l2BytesRead = 0;
  let dataClusters = 0;
  let compressed = 0;
  let zeroClusters = 0;
  const usedL1 = Math.min(l1Size, neededL1);
  for (let i = 0; i < usedL1 && reasons.length === 0; i++) {
    const l2Offset = decodeL1(l1, i * 8);
    if (l2Offset === 0) continue;
    if (l2Offset < 0) {
      refuse('QCOW2_BAD_TABLE_ENTRY', `L1 entry ${i} has reserved bits set`);
      break;
    }
    const before = regions.length;
    if (!placeTable(`L2 table ${i}`, l2Offset, clusterSize, clusterSize)) break;
    regions.length = before; // L2 tables may be shared by snapshots; only check against others
    l2BytesRead += clusterSize;
    if (l2BytesRead > limits.maxTableBytes) {
      refuse('QCOW2_TABLE_TOO_LARGE', `L2 tables exceed ${limits.maxTableBytes} bytes`);
      break;
    }
    const l2 = await source.read(l2Offset, clusterSize);
    const firstCluster = i * l2Entries;
    const count = Math.min(l2Entries, Math.ceil(size / clusterSize) - firstCluster);
    for (let j = 0; j < count; j++) {
      const e = decodeL2(l2, j * 8, clusterBits, version);
      if (e.kind === 'unallocated') continue;
      if (e.kind === 'zero') {
        zeroClusters++;
        continue;
      }
      if (e.kind === 'invalid') {
        refuse('QCOW2_BAD_TABLE_ENTRY', `L2 entry for cluster ${firstCluster + j}: ${e.why}`);
        break;
      }
      if (e.hostOffset < clusterSize) {
        refuse('QCOW2_OVERLAPS_HEADER', `cluster ${firstCluster + j} points into the header`);
        break;
      }
      // qemu may end the file inside the last data cluster; reads past EOF are zeros.
      if (e.hostOffset >= source.size) {
        refuse('QCOW2_CLUSTER_OUTSIDE_FILE', `cluster ${firstCluster + j} at ${e.hostOffset}`);
        break;
      }
      if (e.kind === 'compressed') compressed++;
      else dataClusters++;
    }
  }

  if (compressed > 0) features.push('compressed-clusters');
  if (zeroClusters > 0) features.push('zero-clusters');
  result.layout = layout;
  result.allocatedSize = Math.min(size, (dataClusters + compressed) * clusterSize);
  return done();
}
