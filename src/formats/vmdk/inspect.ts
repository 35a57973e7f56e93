/**
 * VMDK inspection: the sparse header, its embedded descriptor, the footer of a stream, the grain
 * directory and every grain table. Standalone descriptor files are always refused: their data
 * lives in other files, named by path.
 *
 * Refusal codes: VMDK_TRUNCATED, VMDK_BAD_HEADER, VMDK_BAD_DESCRIPTOR, VMDK_DESCRIPTOR_TOO_LARGE,
 * VMDK_UNSAFE_CREATE_TYPE, VMDK_EXTERNAL_EXTENT, VMDK_BAD_FOOTER, VMDK_TOO_LARGE,
 * VMDK_TABLE_TOO_LARGE, VMDK_OUT_OF_BOUNDS.
 */
import type { ByteSource, InspectLimits, InspectResult, RefusalReason } from '../types.js';
import { isSafeCreateType, parseDescriptor, type Descriptor } from './descriptor.js';
import {
  COMPRESSION_DEFLATE,
  COMPRESSION_NONE,
  FLAG_COMPRESSED,
  FLAG_MARKERS,
  FLAG_NEWLINE_TEST,
  FLAG_ZEROED_GRAIN_GTE,
  GD_AT_END,
  GRAIN_MARKER_BYTES,
  MARKER_EOS,
  MARKER_FOOTER,
  parseSparseHeader,
  SECTOR_BYTES,
  VMDK_MAGIC,
  type SparseHeader,
} from './header.js';

/** Descriptors are a few hundred bytes; oslo and qemu cap them near 1 MiB. */
export const MAX_DESCRIPTOR_BYTES = 1024 * 1024;
const TEXT_DESCRIPTOR_SIGNATURE = '# disk descriptorfile';
const GT_ENTRIES = 512;
/** Grain tables are read in runs of up to this many bytes. */
const GT_READ_BYTES = 1024 * 1024;

export interface VmdkLayout {
  /** Sectors per grain. */
  grainSectors: number;
  grainBytes: number;
  compressed: boolean;
  /** Grain number → sector of the grain (or of its marker when compressed); 0 or 1 = zeros. */
  grains: Uint32Array;
  /** `grains` entry value meaning "reads as zeros" besides 0 (1 when the flag is set). */
  zeroGrainEntry: number;
}

export function probeVmdk(head: Buffer): boolean {
  if (head.length >= 4 && head.readUInt32LE(0) === VMDK_MAGIC) return true;
  return looksLikeTextDescriptor(head);
}

function looksLikeTextDescriptor(head: Buffer): boolean {
  const start = head.subarray(0, 1024).toString('latin1').toLowerCase();
  if (start.startsWith(TEXT_DESCRIPTOR_SIGNATURE)) return true;
  // A descriptor without its comment line still declares a createType within the first lines;
  // only plain text qualifies, so a disk that merely contains the word is not taken for one.
  return /^[\x09\x0a\x0d\x20-\x7e]*$/.test(start) && /^\s*createtype\s*=/m.test(start);
}

class Refusal extends Error {
  constructor(readonly reasons: RefusalReason[]) {
    super(reasons.map((r) => r.code).join(','));
  }
}

function refuse(code: string, message: string): never {
  throw new Refusal([{ code, message }]);
}

interface Partial {
  subformat?: string;
  virtualSize: number;
  clusterSize?: number;
}

export async function inspectVmdk(
  source: ByteSource,
  limits: InspectLimits,
): Promise<InspectResult> {
  const partial: Partial = { virtualSize: 0 };
  try {
    return await inspectOrRefuse(source, limits, partial);
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    return {
      format: 'vmdk',
      ...partial,
      actualSize: source.size,
      features: [],
      safe: false,
      reasons: err.reasons,
    };
  }
}

async function inspectOrRefuse(
  source: ByteSource,
  limits: InspectLimits,
  partial: Partial,
): Promise<InspectResult> {
  const fileSize = source.size;
  const head = await source.read(0, Math.min(SECTOR_BYTES, fileSize));
  if (head.length < 4 || head.readUInt32LE(0) !== VMDK_MAGIC) {
    return refuseTextDescriptor(source, partial);
  }
  if (head.length < SECTOR_BYTES) refuse('VMDK_TRUNCATED', 'file is shorter than a KDMV header');

  let header = parseSparseHeader(head);
  checkHeader(header);

  // The embedded descriptor decides the subformat; the header's flags must agree with it.
  const descriptor = await readEmbeddedDescriptor(source, header);
  const createType = descriptor.createType ?? '';
  partial.subformat = createType;
  const stream = createType.toLowerCase() === 'streamoptimized';
  const compressed = (header.flags & FLAG_COMPRESSED) !== 0;
  if (compressed !== stream || ((header.flags & FLAG_MARKERS) !== 0) !== stream) {
    refuse('VMDK_BAD_HEADER', `compression/marker flags do not match createType "${createType}"`);
  }
  if (stream && header.compressAlgorithm !== COMPRESSION_DEFLATE) {
    refuse('VMDK_BAD_HEADER', 'streamOptimized without deflate compression');
  }

  // streamOptimized writers that cannot seek leave the grain directory's place in a footer.
  if (header.gdOffset === GD_AT_END) {
    if (!stream) refuse('VMDK_BAD_HEADER', 'grain directory "at end" outside streamOptimized');
    header = await readFooter(source, header);
  }

  const grainSectors = Number(header.grainSize);
  const grainBytes = grainSectors * SECTOR_BYTES;
  const virtualSize = Number(header.capacity) * SECTOR_BYTES;
  partial.virtualSize = virtualSize;
  partial.clusterSize = grainBytes;
  if (virtualSize > limits.maxVirtualSizeBytes) {
    refuse('VMDK_TOO_LARGE', `virtual size ${virtualSize} exceeds ${limits.maxVirtualSizeBytes}`);
  }
  const extentSectors = descriptor.extents.reduce((sum, e) => sum + e.sectors, 0n);
  if (extentSectors !== header.capacity) {
    refuse(
      'VMDK_BAD_DESCRIPTOR',
      `extents cover ${extentSectors} sectors, header ${header.capacity}`,
    );
  }

  const grains = await readGrainTables(source, limits, header, grainBytes, virtualSize);
  const zeroGrainEntry = header.flags & FLAG_ZEROED_GRAIN_GTE ? 1 : 0;
  const features = compressed ? ['compressed-grains'] : [];
  if (zeroGrainEntry && grains.includes(1)) features.push('zero-grains');
  if (header.uncleanShutdown) features.push('unclean-shutdown');

  const layout: VmdkLayout = { grainSectors, grainBytes, compressed, grains, zeroGrainEntry };
  return {
    format: 'vmdk',
    subformat: createType,
    virtualSize,
    actualSize: fileSize,
    clusterSize: grainBytes,
    features,
    safe: true,
    reasons: [],
    layout,
  };
}

function checkHeader(h: SparseHeader): void {
  const problems: string[] = [];
  if (h.version < 1 || h.version > 3) problems.push(`version ${h.version} is not 1..3`);
  const grain = h.grainSize;
  if (grain < 1n || grain > 2048n || (grain & (grain - 1n)) !== 0n) {
    problems.push(`grain size ${grain} sectors is not a power of two up to 1 MiB`);
  }
  if (h.numGTEsPerGT !== GT_ENTRIES) problems.push(`${h.numGTEsPerGT} entries per grain table`);
  if (h.flags & FLAG_NEWLINE_TEST && !h.newlineTestOk) {
    problems.push('newline test bytes are mangled (text-mode transfer?)');
  }
  if (h.compressAlgorithm !== COMPRESSION_NONE && h.compressAlgorithm !== COMPRESSION_DEFLATE) {
    problems.push(`compression algorithm ${h.compressAlgorithm} is unknown`);
  }
  if (h.capacity > 2n ** 53n / BigInt(SECTOR_BYTES)) problems.push('capacity is absurd');
  if (problems.length > 0) refuse('VMDK_BAD_HEADER', problems.join('; '));
}

async function readEmbeddedDescriptor(source: ByteSource, h: SparseHeader): Promise<Descriptor> {
  if (h.descriptorOffset === 0n || h.descriptorSize === 0n) {
    refuse('VMDK_BAD_DESCRIPTOR', 'sparse extent without an embedded descriptor');
  }
  if (h.descriptorOffset !== 1n) {
    refuse('VMDK_BAD_DESCRIPTOR', `descriptor at sector ${h.descriptorOffset}, not 1`);
  }
  if (h.descriptorSize * BigInt(SECTOR_BYTES) > BigInt(MAX_DESCRIPTOR_BYTES)) {
    refuse('VMDK_DESCRIPTOR_TOO_LARGE', `descriptor of ${h.descriptorSize} sectors (> 1 MiB)`);
  }
  const length = Number(h.descriptorSize) * SECTOR_BYTES;
  if (SECTOR_BYTES + length > source.size) {
    refuse('VMDK_TRUNCATED', 'the embedded descriptor runs past the end of the file');
  }
  const raw = await source.read(SECTOR_BYTES, length);
  const nul = raw.indexOf(0);
  const descriptor = parseDescriptor(
    raw.subarray(0, nul < 0 ? raw.length : nul).toString('latin1'),
  );
  checkDescriptor(descriptor, true);
  return descriptor;
}

/**
 * A descriptor's own rules. Embedded: exactly one SPARSE extent (the file itself; qemu ignores
 * its name, and we never resolve it). Anything else names, or may name, another file.
 */
function checkDescriptor(d: Descriptor, embedded: boolean): void {
  const reasons: RefusalReason[] = [];
  if (!isSafeCreateType(d.createType)) {
    reasons.push({
      code: 'VMDK_UNSAFE_CREATE_TYPE',
      message: `createType "${d.createType ?? ''}" is not monolithicSparse or streamOptimized`,
    });
  }
  const external = d.extents.filter(
    (e) =>
      !embedded || e.type !== 'SPARSE' || e.offset !== undefined || /[/\\:]/.test(e.fileName ?? ''),
  );
  if (external.length > 0 || (embedded && d.extents.length > 1)) {
    const names = (external.length > 0 ? external : d.extents).map(
      (e) => `${e.type} "${e.fileName ?? ''}"`,
    );
    reasons.push({
      code: 'VMDK_EXTERNAL_EXTENT',
      message: `extents that refer to other files: ${names.slice(0, 4).join(', ')}`,
    });
  }
  if (d.keys.has('parentfilenamehint')) {
    reasons.push({ code: 'VMDK_EXTERNAL_EXTENT', message: 'descriptor names a parent disk' });
  }
  if (d.extents.length === 0) {
    reasons.push({ code: 'VMDK_BAD_DESCRIPTOR', message: 'descriptor declares no extent' });
  }
  if (d.badLines.length > 0) {
    reasons.push({ code: 'VMDK_BAD_DESCRIPTOR', message: `unparsable line "${d.badLines[0]}"` });
  }
  if (reasons.length > 0) throw new Refusal(reasons);
}

async function refuseTextDescriptor(source: ByteSource, partial: Partial): Promise<never> {
  const length = Math.min(source.size, MAX_DESCRIPTOR_BYTES);
  const text = await source.read(0, length);
  if (!looksLikeTextDescriptor(text)) refuse('VMDK_BAD_HEADER', 'neither KDMV nor a descriptor');
  if (source.size > MAX_DESCRIPTOR_BYTES) {
    refuse('VMDK_DESCRIPTOR_TOO_LARGE', `descriptor file of ${source.size} bytes (> 1 MiB)`);
  }
  const descriptor = parseDescriptor(text.toString('latin1'));
  partial.subformat = descriptor.createType;
  checkDescriptor(descriptor, false);
  // Unreachable in practice (a descriptor without extents is refused above), kept explicit.
  return refuse('VMDK_BAD_DESCRIPTOR', 'a descriptor file holds no data of its own');
}

/**
 * The footer of a stream: the last 1536 bytes are a FOOTER marker, a header copy with the real
 * grain-directory offset, and an end-of-stream marker.
 */
async function readFooter(source: ByteSource, header: SparseHeader): Promise<SparseHeader> {
  if (source.size < 3 * SECTOR_BYTES + SECTOR_BYTES) {
    refuse('VMDK_BAD_FOOTER', 'file too short for a stream footer');
  }
  const tail = await source.read(source.size - 3 * SECTOR_BYTES, 3 * SECTOR_BYTES);
  const marker = tail.subarray(0, SECTOR_BYTES);
  const footerBuf = tail.subarray(SECTOR_BYTES, 2 * SECTOR_BYTES);
  const eos = tail.subarray(2 * SECTOR_BYTES);
  if (marker.readUInt32LE(8) !== 0 || marker.readUInt32LE(12) !== MARKER_FOOTER) {
    refuse('VMDK_BAD_FOOTER', 'no footer marker 1536 bytes before the end');
  }
  if (eos.readUInt32LE(8) !== 0 || eos.readUInt32LE(12) !== MARKER_EOS || eos.readBigUInt64LE(0)) {
    refuse('VMDK_BAD_FOOTER', 'no end-of-stream marker at the end');
  }
  if (footerBuf.readUInt32LE(0) !== VMDK_MAGIC) refuse('VMDK_BAD_FOOTER', 'footer is not KDMV');
  const footer = parseSparseHeader(footerBuf);
  checkHeader(footer);
  const same =
    footer.version === header.version &&
    footer.capacity === header.capacity &&
    footer.grainSize === header.grainSize &&
    footer.descriptorOffset === header.descriptorOffset &&
    footer.descriptorSize === header.descriptorSize &&
    footer.flags === header.flags &&
    footer.compressAlgorithm === header.compressAlgorithm;
  if (!same) refuse('VMDK_BAD_FOOTER', 'footer disagrees with the header');
  if (footer.gdOffset === GD_AT_END) refuse('VMDK_BAD_FOOTER', 'footer defers the GD again');
  return footer;
}

/** Reads the grain directory and every grain table, checking each pointer against the file. */
async function readGrainTables(
  source: ByteSource,
  limits: InspectLimits,
  h: SparseHeader,
  grainBytes: number,
  virtualSize: number,
): Promise<Uint32Array> {
  const fileSize = source.size;
  const grainCount = Math.ceil(virtualSize / grainBytes);
  const gdEntries = Math.ceil(grainCount / GT_ENTRIES);
  const gdBytes = gdEntries * 4;
  const tableBytes = gdBytes + gdEntries * GT_ENTRIES * 4;
  if (tableBytes > limits.maxTableBytes) {
    refuse(
      'VMDK_TABLE_TOO_LARGE',
      `grain tables of ${tableBytes} bytes exceed ${limits.maxTableBytes}`,
    );
  }

  // Nothing may point into the header and descriptor; everything must end inside the file.
  const metadataEnd = Number(h.descriptorOffset + h.descriptorSize) * SECTOR_BYTES;
  const inFile = (offset: number, length: number) =>
    offset >= metadataEnd && offset + length <= fileSize;
  const gdOffset = Number(h.gdOffset) * SECTOR_BYTES;
  if (h.gdOffset > BigInt(fileSize) || !inFile(gdOffset, gdBytes)) {
    refuse('VMDK_OUT_OF_BOUNDS', `grain directory at sector ${h.gdOffset} is outside the file`);
  }
  const gdRaw = await source.read(gdOffset, gdBytes);
  const gd = new Uint32Array(gdEntries);
  for (let i = 0; i < gdEntries; i++) gd[i] = gdRaw.readUInt32LE(i * 4);
  for (let i = 0; i < gdEntries; i++) {
    if (gd[i] !== 0 && !inFile(gd[i] * SECTOR_BYTES, GT_ENTRIES * 4)) {
      refuse('VMDK_OUT_OF_BOUNDS', `grain table ${i} at sector ${gd[i]} is outside the file`);
    }
  }

  const grains = new Uint32Array(gdEntries * GT_ENTRIES);
  const zeroEntry = h.flags & FLAG_ZEROED_GRAIN_GTE ? 1 : 0;
  const compressed = (h.flags & FLAG_COMPRESSED) !== 0;
  // A compressed grain needs only its marker inside the file here; the reader bounds the rest.
  const grainExtent = compressed ? GRAIN_MARKER_BYTES : grainBytes;

  for (let i = 0; i < gdEntries;) {
    if (gd[i] === 0) {
      i++;
      continue;
    }
    // Coalesce grain tables that follow each other in the file into one read.
    let run = 1;
    while (
      i + run < gdEntries &&
      gd[i + run] === gd[i] + run * 4 &&
      (run + 1) * GT_ENTRIES * 4 <= GT_READ_BYTES
    ) {
      run++;
    }
    const raw = await source.read(gd[i] * SECTOR_BYTES, run * GT_ENTRIES * 4);
    for (let k = 0; k < run * GT_ENTRIES; k++) {
      const grain = i * GT_ENTRIES + k;
      const entry = raw.readUInt32LE(k * 4);
      if (entry === 0 || entry === zeroEntry || grain >= grainCount) continue;
      // The last grain of a disk that is not a whole number of grains may be stored short.
      const needed = Math.min(grainExtent, virtualSize - grain * grainBytes);
      if (!inFile(entry * SECTOR_BYTES, needed)) {
        refuse('VMDK_OUT_OF_BOUNDS', `grain ${grain} at sector ${entry} is outside the file`);
      }
      grains[grain] = entry;
    }
    i += run;
  }
  return grains;
}
