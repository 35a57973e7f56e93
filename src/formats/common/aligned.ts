/**
 * Page-aligned memory, for I/O with O_DIRECT: the kernel moves such bytes between the device and
 * the buffer itself, and refuses (EINVAL) memory that is not aligned to the device's blocks.
 *
 * Node has no aligned allocator, but V8 maps the memory of a `WebAssembly.Memory` on whole pages,
 * whereas a Buffer or SharedArrayBuffer of a few MiB comes from malloc, 16 bytes past a page
 * boundary. Where WebAssembly is missing (`node --jitless`) or refuses, the memory is ordinary
 * and unaligned: callers fall back to buffered I/O when the kernel says EINVAL.
 *
 * @example
 *   const block = pageAlignedBuffer(4 * 1024 * 1024, { shared: true }); // zeroed
 */

/** WebAssembly memories grow in pages of 64 KiB. */
const WASM_PAGE_BYTES = 65536;
/** A 32-bit wasm memory holds at most 65,536 pages (4 GiB). */
const MAX_WASM_PAGES = 65536;

/** The part of the WebAssembly global used here (@types/node 20 does not declare it). */
interface WasmMemoryGlobal {
  Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => {
    buffer: ArrayBuffer | SharedArrayBuffer;
  };
}
const wasm = (globalThis as { WebAssembly?: WasmMemoryGlobal }).WebAssembly;

/** A zeroed buffer of `bytes`, page-aligned when the engine allows; `shared` for other threads. */
export function pageAlignedBuffer(bytes: number, options: { shared?: boolean } = {}): Buffer {
  const pages = Math.ceil(bytes / WASM_PAGE_BYTES);
  if (wasm && pages > 0 && pages <= MAX_WASM_PAGES) {
    try {
      const memory = new wasm.Memory({ initial: pages, maximum: pages, shared: options.shared });
      return Buffer.from(memory.buffer, 0, bytes);
    } catch {
      // No wasm memory here (address space limits, an engine flag): the plain kind.
    }
  }
  return options.shared ? Buffer.from(new SharedArrayBuffer(bytes)) : Buffer.alloc(bytes);
}
