import type { Language } from "./i18n/messages.ts";

/** Numbers, money and dates in the user's language. */

export function formatScore(score: number | null): string {
  return score === null ? "–" : score.toFixed(2);
}

export function scoreClass(score: number | null): string {
  if (score === null) return "score";
  return score >= 0.8 ? "score score-high" : score >= 0.5 ? "score score-medium" : "score";
}

export function formatPrice(
  amount: number | null | undefined,
  currency: string | null | undefined,
  language: Language,
): string {
  if (amount === null || amount === undefined) return "–";
  if (currency && /^[A-Z]{3}$/.test(currency)) {
    try {
      return new Intl.NumberFormat(language, { style: "currency", currency }).format(amount);
    } catch {
      // An unknown currency code: shown as written below.
    }
  }
  return `${new Intl.NumberFormat(language).format(amount)}${currency ? ` ${currency}` : ""}`;
}

export function formatDateTime(iso: string | null | undefined, language: Language): string {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(language, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "UTC",
  }).format(date);
}
