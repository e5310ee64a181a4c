import type { Language } from "./i18n/messages.ts";

/** Numbers, money and dates in the user's language. */

// Making an Intl formatter loads locale data and costs far more than formatting with one (a queue page of 50 rows
// made 100 of them), so each (language, options) pair is made once.
const numberFormats = new Map<string, Intl.NumberFormat>();
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

export function numberFormat(language: string, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  const key = `${language} ${JSON.stringify(options)}`;
  let format = numberFormats.get(key);
  if (!format) numberFormats.set(key, (format = new Intl.NumberFormat(language, options)));
  return format;
}

export function dateTimeFormat(language: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${language} ${JSON.stringify(options)}`;
  let format = dateTimeFormats.get(key);
  if (!format) dateTimeFormats.set(key, (format = new Intl.DateTimeFormat(language, options)));
  return format;
}

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
      return numberFormat(language, { style: "currency", currency }).format(amount);
    } catch {
      // An unknown currency code: shown as written below.
    }
  }
  return `${numberFormat(language).format(amount)}${currency ? ` ${currency}` : ""}`;
}

/**
 * A date and time as the user's language writes it, in UTC on every screen (the times in evidence and audit logs
 * are UTC, and two screens must not show one moment two ways), or `fallback` for none or an unreadable one.
 */
export function formatDateTime(iso: string | null | undefined, language: string, fallback = "—"): string {
  if (!iso) return fallback;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return fallback;
  return dateTimeFormat(language, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(ms);
}
