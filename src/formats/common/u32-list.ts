/** A growable list of u32 (4 bytes per entry instead of a JS array's ~8-16). */
export class U32List {
  private buf = new Uint32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Uint32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }

  get(i: number): number {
    return this.buf[i];
  }

  /** Replaces entry `i` (which must exist). */
  set(i: number, v: number): void {
    if (i >= this.length) throw new RangeError(`index ${i} past the end (${this.length})`);
    this.buf[i] = v;
  }

  last(): number | undefined {
    return this.length > 0 ? this.buf[this.length - 1] : undefined;
  }
}
