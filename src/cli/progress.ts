/**
 * The progress line of long transfers (`ecsimg oss cp`, `ecsimg import`), on stderr so stdout
 * stays what scripts read.
 */
import { Transform } from 'node:stream';
import { formatBytes } from './gc.js';
import type { CliIo } from './io.js';

export interface Progress {
  /** A pass-through that counts the bytes of one stream; several may run at once (parts). */
  meter(): Transform;
  /** Counts bytes done without sending them (parts a resumed upload already stored). */
  skip(bytes: number): void;
  /** Draws the final line. */
  finish(): void;
}

/**
 * A progress line redrawn at most every 200 ms: a bar when the total is known, bytes done and
 * the rate of the bytes actually sent.
 *
 * @example
 *   const bar = progress(io, size, 'upload disk.raw');
 *   await pipeline(fs.createReadStream(file), bar.meter(), req);
 *   bar.finish();
 */
export function progress(io: CliIo, total: number | undefined, label: string): Progress {
  const started = Date.now();
  let done = 0;
  let skipped = 0;
  let drawn = 0;
  const draw = (final: boolean) => {
    const now = Date.now();
    if (!final && now - drawn < 200) return;
    drawn = now;
    const rate = (done - skipped) / Math.max(0.001, (now - started) / 1000);
    const pctDone = total ? Math.min(100, Math.floor((done / total) * 100)) : undefined;
    const bar =
      pctDone === undefined
        ? ''
        : `[${'#'.repeat(Math.floor(pctDone / 4)).padEnd(25)}] ${String(pctDone).padStart(3)}% `;
    io.stderr.write(
      `\r${label} ${bar}${formatBytes(done)}${total ? ` / ${formatBytes(total)}` : ''} ` +
        `${formatBytes(rate)}/s${final ? '\n' : ''}`,
    );
  };
  return {
    meter: () =>
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          done += chunk.length;
          draw(false);
          cb(null, chunk);
        },
      }),
    skip: (bytes) => {
      done += bytes;
      skipped += bytes;
      draw(false);
    },
    finish: () => draw(true),
  };
}
