/**
 * Encodes text into a legacy double-byte charset (Shift_JIS, GBK, EUC-KR, Big5…) for test pages. Node has decoders
 * for these but no encoders, so the table is built by decoding every one- and two-byte sequence once.
 */
const tables = new Map<string, Map<string, number[]>>();

export function encodeLegacy(text: string, encoding: string): Uint8Array {
  const table = tableFor(encoding);
  const bytes: number[] = [];
  for (const char of text) {
    const encoded = table.get(char);
    if (!encoded) throw new RangeError(`${JSON.stringify(char)} has no ${encoding} encoding`);
    bytes.push(...encoded);
  }
  return Uint8Array.from(bytes);
}

function tableFor(encoding: string): Map<string, number[]> {
  let table = tables.get(encoding);
  if (table) return table;
  table = new Map();
  const decoder = new TextDecoder(encoding, { fatal: true });
  const add = (sequence: number[]) => {
    try {
      const char = decoder.decode(Uint8Array.from(sequence));
      if ([...char].length === 1 && !table?.has(char)) table?.set(char, sequence);
    } catch {
      // Not a valid sequence in this charset.
    }
  };
  for (let b = 0; b < 0x100; b++) add([b]);
  for (let lead = 0x81; lead <= 0xfe; lead++)
    for (let trail = 0x40; trail <= 0xfe; trail++) add([lead, trail]);
  tables.set(encoding, table);
  return table;
}
