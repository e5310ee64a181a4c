// `KeyTrie.root` and `KeyTrie.dead` as module constants, which compiled code folds, where it loads and checks a
// static field at every use.
const root = 0;
const dead = -0x7fffffff;

/**
 * Every key of the lexicon in one double-array trie over UTF-16 code units, with tails. A state ≥ 0 is the index
 * of a cell pair in `cells`: `cells[state]` is where its children start (its "base"), `cells[state + 1]` the
 * state of its parent (its "check"). Reading one code unit is
 *
 *     next = cells[state] + symbols[unit];  if (cells[next + 1] !== state) the walk stops;  state = next;
 *
 * two reads from the same array, the second of which brings the next step's base into the cache with it. Nodes
 * are placed breadth first, so the shallow ones, which every walk visits, sit together at the start.
 *
 * Below the last branch towards a key, its remaining units are not nodes but a "tail": a run in `tails` ending
 * with `tailEnd` and the key's index. A node whose base is negative leads into the tail at −base − 1, and a state
 * < 0 is a position −state − 1 in a tail. Tails keep the array small (most of ~1.9 million key units are in them)
 * and are read in order, so a walk down a long name costs one cache miss, not one per character.
 *
 * Code units are mapped to dense symbols first, most frequent first; a unit no key contains maps to 0, which no
 * node has as a child, so a walk stops there.
 */
export class KeyTrie {
  /** Twice the symbol of each UTF-16 code unit (cells come in pairs); 0 for units in no key. */
  readonly symbols: Uint16Array;
  /** Pairs of (2 × base, parent state); a free pair has parent −1. */
  readonly cells: Int32Array;
  /** For each state / 2: 1 + the index of the key that ends there, or 0. */
  readonly terminal: Int32Array;
  /** Tails: code units, then `tailEnd` and the key's index in two units (high, low). */
  readonly tails: Uint16Array;
  /** The keys, sorted by code unit: key `i` is `keys[i]`. */
  readonly keys: readonly string[];
  readonly longestKey: number;
  static readonly root = root;
  /** No state: what `next` returns when the walk cannot go on. Tail positions are −1, −2, … so it is huge. */
  static readonly dead = dead;

  /** Builds the trie of the given keys; empty keys and duplicates are dropped. */
  constructor(keys: Iterable<string>) {
    const sorted = [...new Set(keys)].filter((key) => key.length > 0).sort();
    this.keys = sorted;
    this.longestKey = sorted.reduce((longest, key) => Math.max(longest, key.length), 0);
    const symbols = symbolsFor(sorted);
    const { cells, terminal, tails } = layout(sorted, symbols);
    this.cells = cells;
    this.terminal = terminal;
    this.tails = tails;
    this.symbols = symbols.map((symbol) => 2 * symbol);
  }

  /** The state after reading `unit` in `state`, or `KeyTrie.dead`. */
  next(state: number, unit: number): number {
    if (state >= 0) {
      const base = this.cells[state] as number;
      if (base >= 0) {
        const next = base + (this.symbols[unit] as number);
        return this.cells[next + 1] === state ? next : dead;
      }
      state = base;
    }
    return this.tails[-state - 1] === unit ? state - 1 : dead;
  }

  /**
   * The state after reading codes[from…to) from `state`, as `next` would unit by unit, or `KeyTrie.dead`. A walk
   * over many units in one call keeps the arrays in locals, where a loop over `next` loads and checks them again
   * at every unit.
   */
  walk(state: number, codes: readonly number[], from: number, to: number): number {
    const { cells, symbols, tails } = this;
    for (let at = from; at < to; at++) {
      const unit = codes[at] as number;
      if (state >= 0) {
        const base = cells[state] as number;
        if (base >= 0) {
          const next = base + (symbols[unit] as number);
          if (cells[next + 1] !== state) return dead;
          state = next;
          continue;
        }
        state = base;
      }
      if (tails[-state - 1] !== unit) return dead;
      state--;
    }
    return state;
  }

  /** The index of the key that ends in `state`, or −1. */
  keyAt(state: number): number {
    if (state >= 0) return (this.terminal[state >> 1] as number) - 1;
    const at = -state - 1;
    if (this.tails[at] !== tailEnd) return -1;
    return ((this.tails[at + 1] as number) << 16) | (this.tails[at + 2] as number);
  }

  /** The index of `key` in `keys`, or −1. */
  indexOf(key: string): number {
    let state = root;
    for (let at = 0; at < key.length && state !== dead; at++) state = this.next(state, key.charCodeAt(at));
    return state === dead ? -1 : this.keyAt(state);
  }

  /** Bytes held by the typed arrays (the keys themselves are shared with the maps that own them). */
  get byteLength(): number {
    return this.symbols.byteLength + this.cells.byteLength + this.terminal.byteLength + this.tails.byteLength;
  }
}

/** Ends a tail; a noncharacter, never part of a word, so no text unit matches it. */
export const tailEnd = 0xffff;

function symbolsFor(keys: readonly string[]): Uint16Array {
  const counts = new Float64Array(65536);
  for (const key of keys) {
    for (let at = 0; at < key.length; at++) {
      const unit = key.charCodeAt(at);
      counts[unit] = (counts[unit] as number) + 1;
    }
  }
  const units: number[] = [];
  for (let unit = 0; unit < 65536; unit++) if ((counts[unit] as number) > 0) units.push(unit);
  units.sort((a, b) => (counts[b] as number) - (counts[a] as number) || a - b);
  if (units.length >= 32767) throw new RangeError("more distinct code units in keys than symbols");
  const symbols = new Uint16Array(65536);
  units.forEach((unit, index) => (symbols[unit] = index + 1));
  return symbols;
}

/**
 * Places the trie of sorted keys in a double array, breadth first: the keys under a node are a contiguous range
 * of the sorted list, so its children are known when it is placed. Free slots are found through a "next free
 * slot" forest with path halving, so a search skips used slots in near-constant time.
 */
function layout(keys: readonly string[], symbols: Uint16Array) {
  // The keys' code units end to end, so that the inner loops read a typed array, not strings.
  const keyStart = new Int32Array(keys.length + 1);
  for (let index = 0; index < keys.length; index++) {
    keyStart[index + 1] = (keyStart[index] as number) + (keys[index] as string).length;
  }
  const units = new Uint16Array(keyStart[keys.length] as number);
  keys.forEach((key, index) => {
    const offset = keyStart[index] as number;
    for (let at = 0; at < key.length; at++) units[offset + at] = key.charCodeAt(at);
  });
  const keyLength = (index: number) => (keyStart[index + 1] as number) - (keyStart[index] as number);

  let size = Math.ceil(units.length * 1.1) + 1024;
  let base: Int32Array = new Int32Array(size);
  let check: Int32Array = new Int32Array(size).fill(-1);
  let terminal: Int32Array = new Int32Array(size);
  // nextFree[slot] is slot itself when free, otherwise a later slot to look at; one sentinel slot past the end.
  let nextFree = new Int32Array(size + 1);
  for (let slot = 0; slot <= size; slot++) nextFree[slot] = slot;
  check[0] = -2; // The root: nobody's child.
  nextFree[0] = 1;

  const grow = (needed: number) => {
    const bigger = Math.max(needed + 1, Math.ceil(size * 1.5));
    base = resized(base, bigger, 0);
    check = resized(check, bigger, -1);
    terminal = resized(terminal, bigger, 0);
    const free = new Int32Array(bigger + 1);
    free.set(nextFree.subarray(0, size));
    for (let slot = size; slot <= bigger; slot++) free[slot] = slot;
    nextFree = free;
    size = bigger;
  };
  const findFree = (from: number): number => {
    let slot = from;
    for (;;) {
      if (slot >= size) grow(slot + 1);
      const next = nextFree[slot] as number;
      if (next === slot) return slot;
      nextFree[slot] = nextFree[next] ?? next;
      slot = next;
    }
  };

  // Work queue of (node, first key, end of keys, depth): the keys in [first, end) share the node's prefix.
  let queue = new Int32Array(4096);
  let head = 0;
  let tail = 0;
  queue[tail++] = 0;
  queue[tail++] = 0;
  queue[tail++] = keys.length;
  queue[tail++] = 0;
  const childSymbols: number[] = [];
  const childRanges: number[] = [];
  let tails = new Uint16Array(1024);
  let tailLength = 0;
  while (head < tail) {
    const node = queue[head++] as number;
    let first = queue[head++] as number;
    const end = queue[head++] as number;
    const depth = queue[head++] as number;
    if (keyLength(first) === depth) {
      terminal[node] = first + 1;
      first++;
    }
    if (first === end) continue;
    if (end - first === 1 && depth > 0) {
      // One key left below this node: the rest of it becomes a tail.
      const from = (keyStart[first] as number) + depth;
      const to = keyStart[first + 1] as number;
      if (tailLength + (to - from) + 3 > tails.length) {
        const bigger = new Uint16Array(2 * (tailLength + (to - from) + 3));
        bigger.set(tails);
        tails = bigger;
      }
      base[node] = -(tailLength + 1);
      tails.set(units.subarray(from, to), tailLength);
      tailLength += to - from;
      tails[tailLength++] = tailEnd;
      tails[tailLength++] = first >>> 16;
      tails[tailLength++] = first & 0xffff;
      continue;
    }
    childSymbols.length = 0;
    childRanges.length = 0;
    let smallest = 65536;
    let largest = 0;
    for (let at = first; at < end;) {
      const unit = units[(keyStart[at] as number) + depth] as number;
      let next = at + 1;
      while (next < end && units[(keyStart[next] as number) + depth] === unit) next++;
      const symbol = symbols[unit] as number;
      childSymbols.push(symbol);
      childRanges.push(at, next);
      if (symbol < smallest) smallest = symbol;
      if (symbol > largest) largest = symbol;
      at = next;
    }
    // The lowest free slot that can take the smallest child, then the next ones until every child fits.
    let slot = findFree(smallest);
    let offset: number;
    for (;;) {
      offset = slot - smallest;
      if (offset + largest >= size) grow(offset + largest + 1);
      let fits = true;
      for (let index = 0; index < childSymbols.length; index++) {
        if (check[offset + (childSymbols[index] as number)] !== -1) {
          fits = false;
          break;
        }
      }
      if (fits) break;
      slot = findFree(slot + 1);
    }
    base[node] = offset;
    // Keep the queue's live part at the front.
    if (tail + 4 * childSymbols.length > queue.length) {
      const live = queue.subarray(head, tail);
      const bigger = new Int32Array(Math.max(queue.length, 2 * (live.length + 4 * childSymbols.length)));
      bigger.set(live);
      queue = bigger;
      tail -= head;
      head = 0;
    }
    for (let index = 0; index < childSymbols.length; index++) {
      const child = offset + (childSymbols[index] as number);
      check[child] = node;
      nextFree[child] = child + 1;
      queue[tail++] = child;
      queue[tail++] = childRanges[2 * index] as number;
      queue[tail++] = childRanges[2 * index + 1] as number;
      queue[tail++] = depth + 1;
    }
  }
  // Room for base + any symbol past the last used slot, so that a walk never reads out of bounds.
  let last = size - 1;
  while (last > 0 && check[last] === -1) last--;
  let maxBase = 0;
  for (let slot = 0; slot <= last; slot++) {
    // (A negative base leads into a tail and reads no slot.)
    if (check[slot] !== -1 && (base[slot] as number) > maxBase) maxBase = base[slot] as number;
  }
  let maxSymbol = 0;
  for (let unit = 0; unit < 65536; unit++) maxSymbol = Math.max(maxSymbol, symbols[unit] as number);
  const slots = Math.max(last, maxBase + maxSymbol) + 1;
  // Interleave: slot s becomes the pair at 2s, holding 2 × base and the parent's pair index.
  const cells = new Int32Array(2 * slots);
  for (let slot = 0; slot < slots; slot++) {
    const parent = slot < size ? (check[slot] as number) : -1;
    const slotBase = slot < size ? (base[slot] as number) : 0;
    cells[2 * slot] = slotBase >= 0 ? 2 * slotBase : slotBase;
    cells[2 * slot + 1] = parent >= 0 ? 2 * parent : parent;
  }
  return { cells, terminal: resized(terminal, slots, 0), tails: tails.slice(0, tailLength) };
}

function resized(array: Int32Array, length: number, fill: number): Int32Array {
  if (array.length >= length) return array.slice(0, length);
  const result = new Int32Array(length).fill(fill, array.length);
  result.set(array);
  return result;
}
