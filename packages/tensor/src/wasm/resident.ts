import type { FloatArray } from "../dtype";

/**
 * Which arrays a kernel's WebAssembly memory still holds: `count` entries of `entryBytes` each,
 * at offsets the caller lays out, reused least recently used first. The arrays must never
 * change (tensor storage): an array found here is used without copying it in again. They are
 * tracked in a WeakMap, so that no array is kept alive (a WeakRef would keep it until the
 * caller yields to the event loop, which a training loop may never do).
 */
export class ResidentArrays {
  /** Size of each entry: the largest array held so far, rounded up to whole 64-byte lines. */
  entryBytes = 0;
  /** Arrays found here instead of copied in, since creation. */
  hits = 0;
  /** Per entry, the stamp of the array it holds (0: none) and when it was last used. */
  private readonly holders: number[];
  private readonly lastUses: number[];
  private readonly places = new WeakMap<FloatArray, { index: number; stamp: number }>();
  private clock = 0;

  /**
   * @param count entries.
   * @param minimumBytes smallest array kept (smaller ones cost less to copy in than to track).
   * @param maximumBytes largest array kept (larger ones are the caller's to place).
   */
  constructor(
    count: number,
    readonly minimumBytes: number,
    readonly maximumBytes: number,
  ) {
    this.holders = new Array<number>(count).fill(0);
    this.lastUses = new Array<number>(count).fill(0);
  }

  /** Whether arrays of `bytes` are kept here. */
  fits(bytes: number): boolean {
    return bytes >= this.minimumBytes && bytes <= this.maximumBytes;
  }

  /**
   * Makes entries of at least `bytes`. Returns whether they grew: then every entry is emptied,
   * and the caller must make room for the new layout (the entries move).
   */
  grow(bytes: number): boolean {
    if (bytes <= this.entryBytes) return false;
    this.entryBytes = Math.ceil(bytes / 64) * 64;
    this.clear();
    return true;
  }

  /** Empties every entry: the caller moved them, or wrote over them. */
  clear(): void {
    this.holders.fill(0);
  }

  /** Whether an entry holds `array` (without marking it used). */
  holds(array: FloatArray): boolean {
    const place = this.places.get(array);
    return place !== undefined && this.holders[place.index] === place.stamp;
  }

  /** The entry that holds `array`, now marked as just used; undefined if none does. */
  find(array: FloatArray): number | undefined {
    if (!this.holds(array)) return undefined;
    const { index } = this.places.get(array)!;
    this.lastUses[index] = ++this.clock;
    this.hits += 1;
    return index;
  }

  /**
   * The least recently used entry, now marked as just used (so a second `take` in the same
   * call never returns it) and holding `array` if given (the caller copies it in), else
   * nothing until `hold`.
   */
  take(array?: FloatArray): number {
    let index = 0;
    for (let i = 1; i < this.lastUses.length; i++) {
      if (this.lastUses[i]! < this.lastUses[index]!) index = i;
    }
    this.lastUses[index] = ++this.clock;
    this.holders[index] = 0;
    if (array !== undefined) this.hold(index, array);
    return index;
  }

  /** Records that entry `index` holds `array` (written there by a kernel, say). */
  hold(index: number, array: FloatArray): void {
    const stamp = ++this.clock;
    this.holders[index] = stamp;
    this.places.set(array, { index, stamp });
  }
}
