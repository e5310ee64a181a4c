/** Splits a text at matched ranges, for rendering each piece as a text node (pure: tested in Node). */

export interface Range {
  readonly start: number;
  readonly end: number;
}

export type Segment<M extends Range> =
  | { readonly kind: "text"; readonly text: string; readonly start: number }
  | { readonly kind: "match"; readonly text: string; readonly start: number; readonly match: M };

/**
 * The text cut into plain and matched pieces in order. Ranges outside the text or empty are ignored; where ranges
 * overlap, the one starting first wins (the longer one at the same start), so every character appears once.
 */
export function segmentText<M extends Range>(text: string, matches: readonly M[]): Segment<M>[] {
  const usable = matches
    .filter((m) => Number.isInteger(m.start) && Number.isInteger(m.end))
    .filter((m) => m.start >= 0 && m.end <= text.length && m.start < m.end)
    .toSorted((a, b) => a.start - b.start || b.end - a.end);
  const segments: Segment<M>[] = [];
  let position = 0;
  for (const match of usable) {
    if (match.start < position) continue;
    if (match.start > position)
      segments.push({ kind: "text", text: text.slice(position, match.start), start: position });
    segments.push({ kind: "match", text: text.slice(match.start, match.end), start: match.start, match });
    position = match.end;
  }
  if (position < text.length) segments.push({ kind: "text", text: text.slice(position), start: position });
  return segments;
}
