/**
 * streamOptimized VMDK writer, forward-only, in VMware's canonical stream order:
 *
 *   header (gdOffset = GD_AT_END) · descriptor · padding to the grain overhead
 *   · for each 32 MiB span: its grains (marker + zlib), then a GT marker and the grain table
 *   · GD marker + grain directory · footer marker + footer (header copy with the real gdOffset)
 *   · end-of-stream marker
 *
 * Only the grain directory (4 bytes per 32 MiB of disk) and one grain table stay in memory, so
 * memory is constant whatever the virtual size. Deflate, the whole cost, runs in a worker pool:
 * grains travel in batches, at most two batches per worker in flight, and results are written
 * in submission order. Differences from qemu: qemu pre-allocates the GD and a redundant GD at
 * the front and writes neither footer nor EOS marker; ours is what ESXi/OVF importers expect.
 */
import { randomInt } from 'node:crypto';
import type { ExtentSource, WriteOptions } from '../types.js';
import { dataBlocks, StreamSink } from '../vdi/block-io.js';
import { WorkerPool } from '../common/worker-pool.js';
import { outputBytesFor, type DeflateJob, type DeflateResult } from './deflate.js';
import { streamOptimizedDescriptor } from './descriptor.js';
import {
  COMPRESSION_DEFLATE,
  FLAG_COMPRESSED,
  FLAG_MARKERS,
  FLAG_NEWLINE_TEST,
  GD_AT_END,
  MARKER_EOS,
  MARKER_FOOTER,
  MARKER_GD,
  MARKER_GT,
  metadataMarker,
  SECTOR_BYTES,
  serializeSparseHeader,
  type SparseHeader,
} from './header.js';

const GRAIN_SECTORS = 128; // 64 KiB, as qemu and VMware use
const GRAIN_BYTES = GRAIN_SECTORS * SECTOR_BYTES;
const GT_ENTRIES = 512;
const DESCRIPTOR_SECTORS = 20;
/** Sectors before the first grain (header + descriptor, rounded to a grain as qemu does). */
const OVERHEAD_SECTORS = GRAIN_SECTORS;
/** Grains per worker message: 4 MiB in, so messaging costs little against deflate time. */
const BATCH_GRAINS = 64;
const IN_FLIGHT_PER_WORKER = 2;
/** zlib level; see deflate.ts for the trade-off against qemu's level 6. */
const DEFLATE_LEVEL = 1;

/** A batch's shared buffers, reused round the ring so memory stays flat. */
interface Slot {
  input: SharedArrayBuffer;
  output: SharedArrayBuffer;
}

interface Batch {
  slot: Slot;
  indices: number[];
  result: Promise<DeflateResult>;
}

export async function writeStreamOptimized(
  input: ExtentSource,
  out: NodeJS.WritableStream,
  options: WriteOptions = {},
): Promise<{ bytesWritten: number }> {
  const capacity = BigInt(Math.ceil(input.virtualSize / SECTOR_BYTES));
  const grainCount = Math.ceil(input.virtualSize / GRAIN_BYTES);
  const gdEntries = Math.max(1, Math.ceil(grainCount / GT_ENTRIES));
  const header: SparseHeader = {
    version: 3,
    flags: FLAG_NEWLINE_TEST | FLAG_COMPRESSED | FLAG_MARKERS,
    capacity,
    grainSize: BigInt(GRAIN_SECTORS),
    descriptorOffset: 1n,
    descriptorSize: BigInt(DESCRIPTOR_SECTORS),
    numGTEsPerGT: GT_ENTRIES,
    rgdOffset: 0n,
    gdOffset: GD_AT_END,
    overHead: BigInt(OVERHEAD_SECTORS),
    uncleanShutdown: 0,
    newlineTestOk: true,
    compressAlgorithm: COMPRESSION_DEFLATE,
  };

  const sink = new StreamSink(out);
  const prelude = Buffer.alloc(OVERHEAD_SECTORS * SECTOR_BYTES);
  serializeSparseHeader(header).copy(prelude, 0);
  const descriptor = streamOptimizedDescriptor(capacity, randomInt(0, 0xffffffff));
  prelude.write(descriptor, SECTOR_BYTES, DESCRIPTOR_SECTORS * SECTOR_BYTES, 'latin1');
  await sink.write(prelude);

  const tables = new TableWriter(sink, gdEntries, OVERHEAD_SECTORS);
  const pool = new WorkerPool<DeflateJob, DeflateResult>(
    import.meta.url,
    'deflate-worker',
    options.threads,
  );
  const maxInFlight = pool.size * IN_FLIGHT_PER_WORKER;
  const inFlight: Batch[] = [];
  const free: Slot[] = Array.from({ length: maxInFlight + 1 }, () => ({
    input: new SharedArrayBuffer(BATCH_GRAINS * GRAIN_BYTES),
    output: new SharedArrayBuffer(outputBytesFor(BATCH_GRAINS, GRAIN_BYTES)),
  }));
  let slot = free.pop()!;
  let staging = new Uint8Array(slot.input);
  let indices: number[] = [];

  const drainOne = async () => {
    const batch = inFlight.shift()!;
    const { length, offsets } = await batch.result;
    await tables.writeGrains(Buffer.from(batch.slot.output, 0, length), batch.indices, offsets);
    // The output buffer is shared memory: only reuse it once the stream is done with it.
    await sink.flushed();
    free.push(batch.slot);
  };
  const submit = async () => {
    if (indices.length === 0) return;
    const lbas = Float64Array.from(indices, (g) => g * GRAIN_SECTORS);
    const { input, output } = slot;
    const job = { input, output, grainBytes: GRAIN_BYTES, lbas, level: DEFLATE_LEVEL };
    inFlight.push({ slot, indices, result: pool.run(job) });
    while (free.length === 0 || inFlight.length >= maxInFlight) await drainOne();
    slot = free.pop()!;
    staging = new Uint8Array(slot.input);
    indices = [];
  };

  try {
    const progress = (done: number) => options.onProgress?.(done, input.virtualSize);
    for await (const block of dataBlocks(input, GRAIN_BYTES, {
      signal: options.signal,
      onProgress: progress,
    })) {
      staging.set(block.data, indices.length * GRAIN_BYTES);
      block.release?.(); // copied into shared memory: the reader may reuse its buffer
      indices.push(block.index);
      if (indices.length === BATCH_GRAINS) await submit();
    }
    await submit();
    while (inFlight.length > 0) await drainOne();
  } finally {
    // Settle what is still in flight (after an error) before the workers go away.
    await Promise.allSettled(inFlight.map((b) => b.result));
    await pool.close();
  }

  const gdSector = await tables.finish();
  await sink.write(metadataMarker(MARKER_FOOTER, 1));
  await sink.write(serializeSparseHeader({ ...header, gdOffset: BigInt(gdSector) }));
  await sink.write(metadataMarker(MARKER_EOS, 0));
  options.onProgress?.(input.virtualSize, input.virtualSize);
  return { bytesWritten: sink.bytesWritten };
}

/**
 * Tracks where things land in the stream: fills the current grain table as grains are written,
 * emits it when the grains move past its 32 MiB span, and finally writes the grain directory.
 */
class TableWriter {
  private readonly gd: Buffer;
  private readonly gt = Buffer.alloc(GT_ENTRIES * 4);
  private currentTable = -1;
  private gtHasGrains = false;

  constructor(
    private readonly sink: StreamSink,
    gdEntries: number,
    /** Sector the next write lands on. */
    private sector: number,
  ) {
    this.gd = Buffer.alloc(Math.ceil((gdEntries * 4) / SECTOR_BYTES) * SECTOR_BYTES);
  }

  async writeGrains(bytes: Buffer, grains: number[], offsets: Uint32Array): Promise<void> {
    let written = 0;
    for (let k = 0; k < grains.length; k++) {
      const table = Math.floor(grains[k] / GT_ENTRIES);
      const at = offsets[k] * SECTOR_BYTES;
      if (table !== this.currentTable) {
        await this.put(bytes.subarray(written, at));
        written = at;
        await this.flushTable();
        this.currentTable = table;
      }
      this.gt.writeUInt32LE(
        this.sector + (at - written) / SECTOR_BYTES,
        (grains[k] % GT_ENTRIES) * 4,
      );
      this.gtHasGrains = true;
    }
    await this.put(bytes.subarray(written));
  }

  /** Writes the last grain table and the grain directory; returns the directory's sector. */
  async finish(): Promise<number> {
    await this.flushTable();
    await this.put(metadataMarker(MARKER_GD, this.gd.length / SECTOR_BYTES));
    const gdSector = this.sector;
    await this.put(this.gd);
    return gdSector;
  }

  private async flushTable(): Promise<void> {
    if (!this.gtHasGrains) return;
    await this.put(metadataMarker(MARKER_GT, this.gt.length / SECTOR_BYTES));
    this.gd.writeUInt32LE(this.sector, this.currentTable * 4);
    await this.put(this.gt);
    this.gt.fill(0);
    this.gtHasGrains = false;
  }

  private async put(buf: Buffer): Promise<void> {
    // Copy: the sink may still hold the buffer when the table is reused for the next span.
    await this.sink.write(buf === this.gt ? Buffer.from(buf) : buf);
    this.sector += buf.length / SECTOR_BYTES;
  }
}
