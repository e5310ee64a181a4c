/**
 * Text from adverts, platforms and people, made safe to print on a terminal: control characters (which could move
 * the cursor, recolour or rewrite what an analyst sees) become spaces.
 */
export const printable = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
