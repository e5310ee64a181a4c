import { capText, normalizeLine } from "./plain-text.ts";

/**
 * Posting dates as pages write them, to ISO 8601: machine forms (ISO, RFC 2822, Unix time), "05/03/2024",
 * "2024年3月5日", "5 mars 2024", "March 5, 2024", "5 de marzo de 2024", "ngày 5 tháng 3 năm 2024", "5 มี.ค. 2567"
 * (Buddhist era), and, given the time the page was fetched, "3 days ago", "hier", "2 hari yang lalu", "3天前".
 * Pure: the reference time is an argument.
 */

export interface DateHints {
  /** How the site writes all-numeric dates. Default "dmy"; a day or month over 12 settles it either way. */
  readonly dateOrder?: "dmy" | "mdy" | "ymd";
  /** When the page was fetched (ISO 8601): needed for relative dates and for dates without a year. */
  readonly referenceTime?: string;
}

const maxDateChars = 120;

const monthNames: ReadonlyArray<readonly [number, string]> = (
  [
    [1, "january jan janvier janv enero ene janeiro januar jän gennaio januari"],
    [2, "february feb février fevrier févr fevr febrero fevereiro fev februar febbraio februari"],
    [3, "march mar mars marzo março marco märz maerz maret"],
    [4, "april apr avril avr abril abr aprile"],
    [5, "may mai mayo maio maggio mei"],
    [6, "june jun juin junio junho juni giugno"],
    [7, "july jul juillet juil julio julho juli luglio"],
    [8, "august aug août aout agosto ago agustus agu"],
    [9, "september sep sept septembre septiembre setiembre setembro set settembre"],
    [10, "october oct octobre octubre outubro out oktober okt ottobre"],
    [11, "november nov novembre noviembre novembro"],
    [12, "december dec décembre decembre déc diciembre dic dezembro dez dezember dicembre desember des"],
  ] as const
).flatMap(([month, words]) => words.split(" ").map((word) => [month, word] as const));

const thaiMonths = [
  ["มกราคม", "ม.ค."],
  ["กุมภาพันธ์", "ก.พ."],
  ["มีนาคม", "มี.ค."],
  ["เมษายน", "เม.ย."],
  ["พฤษภาคม", "พ.ค."],
  ["มิถุนายน", "มิ.ย."],
  ["กรกฎาคม", "ก.ค."],
  ["สิงหาคม", "ส.ค."],
  ["กันยายน", "ก.ย."],
  ["ตุลาคม", "ต.ค."],
  ["พฤศจิกายน", "พ.ย."],
  ["ธันวาคม", "ธ.ค."],
];
// Russian months by stem: "марта", "мая", "декабря" all start with one of these.
const russianStems = [
  "январ",
  "феврал",
  "март",
  "апрел",
  "ма",
  "июн",
  "июл",
  "август",
  "сентябр",
  "октябр",
  "ноябр",
  "декабр",
];

const monthByWord = new Map<string, number>([
  ...monthNames.map(([month, word]) => [word, month] as const),
  ...thaiMonths.flatMap((names, index) => names.map((name) => [name, index + 1] as const)),
]);

function monthOf(word: string): number | undefined {
  const lowered = word.toLowerCase();
  const direct =
    monthByWord.get(lowered) ?? monthByWord.get(lowered.replace(/\.$/, "")) ?? monthByWord.get(`${lowered}.`);
  if (direct !== undefined) return direct;
  if (/^[а-яё]+\.?$/.test(lowered)) {
    // The longest stem that fits: "ма" (May) must not claim "март".
    let best: number | undefined;
    let bestLength = 0;
    russianStems.forEach((stem, index) => {
      if (lowered.startsWith(stem) && stem.length > bestLength) {
        best = index + 1;
        bestLength = stem.length;
      }
    });
    return best;
  }
  return undefined;
}

const isoPattern =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?/i;
const rfc2822Pattern =
  /^(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{2}:\d{2}(?::\d{2})?\s+(?:GMT|UTC|UT|[+-]\d{4}|[A-Z]{3})$/;
const cjkPattern = /(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})/;
const vietnamesePattern = /(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s*(?:,\s*)?(?:năm\s+)?(\d{4}))?/i;
const numericPattern = /(?<!\d)(\d{1,4})([/.-])(\d{1,2})\2(\d{2,4})(?!\d)/;
const dayMonthYear =
  /(?<!\d)(\d{1,2})(?:er|st|nd|rd|th|º|°)?\.?\s+(?:de\s+)?([\p{L}\p{M}.]{2,12}?)\.?,?\s+(?:de\s+|del\s+)?(\d{4})(?!\d)/u;
// Starts only where a word starts: in a long run of letters, every start would otherwise be tried.
const monthDayYear =
  /(?<![\p{L}\p{M}])([\p{L}\p{M}]{3,12})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)/u;
const dayMonthNoYear = /(?<!\d)(\d{1,2})\.?\s+(?:de\s+)?([\p{L}\p{M}.]{2,12})(?![\p{L}\d])/u;
const timePattern = /(?<!\d)(\d{1,2})[:h](\d{2})(?::(\d{2}))?\s*([ap])?\.?m?\.?(?![\p{L}\d])/iu;

type Unit = "minute" | "hour" | "day" | "week" | "month" | "year";

const todayWords =
  /(?<!\p{L})(?:today|aujourd'hui|aujourd’hui|hoy|hoje|heute|oggi|hôm nay|hari ini|วันนี้|今天|今日|сегодня)(?!\p{L})/iu;
const yesterdayWords =
  /(?<!\p{L})(?:yesterday|hier|ayer|ontem|gestern|ieri|hôm qua|kemarin|เมื่อวาน|昨天|昨日|вчера)(?!\p{L})/iu;

const unitAlternatives =
  "minutes?|mins?|minutos?|menit|phút|นาที|分钟|分鐘|минут[аы]?|minuten?|minuti|" +
  "hours?|hrs?|horas?|heures?|jam|giờ|ชั่วโมง|ชม\\.?|小时|小時|час(?:а|ов)?|stunden?|ore|" +
  "days?|días?|dias?|jours?|hari|ngày|วัน|天|日|дн(?:я|ей)|день|tagen?|giorni|" +
  "weeks?|semanas?|semaines?|minggu|tuần|สัปดาห์|อาทิตย์|周|週|星期|недел[иья]|wochen?|settimane|" +
  "months?|mes(?:es)?|mês|mois|bulan|tháng|เดือน|个月|個月|месяц(?:а|ев)?|monaten?|mesi|" +
  "years?|años?|anos?|ans?|années?|tahun|năm|ปี|年|год(?:а)?|лет|jahren?|anni";

/** "3 days ago", "2 hari yang lalu", "3天前"; and "il y a 3 jours", "hace 2 días", "vor 3 Tagen". */
// Exported for test/redos-sweep.test.ts, which checks regexes built at run time as it checks literals.
export const relativePatterns: readonly RegExp[] = [
  new RegExp(
    `(\\d{1,4})\\s*(${unitAlternatives})\\s*(?:ago|atrás|yang lalu|lalu|trước|ที่แล้ว|ก่อน|前|назад|fa)`,
    "iu",
  ),
  new RegExp(`(?:il y a|hace|há|vor)\\s+(\\d{1,4})\\s*(${unitAlternatives})`, "iu"),
];

const unitWords: ReadonlyArray<readonly [RegExp, Unit]> = [
  [/^(?:minutes?|mins?|minutos?|menit|phút|นาที|分钟|分鐘|минут[аы]?|minuten?|minuti)$/iu, "minute"],
  [/^(?:hours?|hrs?|horas?|heures?|jam|giờ|ชั่วโมง|ชม\.?|小时|小時|час(?:а|ов)?|stunden?|ore)$/iu, "hour"],
  [/^(?:days?|días?|dias?|jours?|hari|ngày|วัน|天|日|дн(?:я|ей)|день|tagen?|giorni)$/iu, "day"],
  [
    /^(?:weeks?|semanas?|semaines?|minggu|tuần|สัปดาห์|อาทิตย์|周|週|星期|недел[иья]|wochen?|settimane)$/iu,
    "week",
  ],
  [/^(?:months?|mes(?:es)?|mês|mois|bulan|tháng|เดือน|个月|個月|месяц(?:а|ев)?|monaten?|mesi)$/iu, "month"],
  [/^(?:years?|años?|anos?|ans?|années?|tahun|năm|ปี|年|год(?:а)?|лет|jahren?|anni)$/iu, "year"],
];

function unitOf(word: string): Unit | undefined {
  for (const [pattern, unit] of unitWords) if (pattern.test(word)) return unit;
  return undefined;
}

export function parseDate(text: string, hints: DateHints = {}): string | undefined {
  const value = capText(normalizeLine(text), maxDateChars).normalize("NFKC");
  if (!value) return undefined;

  if (/^[1-9]\d{9}$|^[1-9]\d{12}$/.test(value)) {
    const ms = value.length === 10 ? Number(value) * 1000 : Number(value);
    // Plausible posting times only: a 10-digit number elsewhere is a phone number or an id.
    if (ms >= Date.UTC(1995, 0, 1) && ms < Date.UTC(2100, 0, 1)) return new Date(ms).toISOString();
    return undefined;
  }

  const iso = isoPattern.exec(value);
  if (iso) {
    const [, year, month, day, hour, minute, second, zone] = iso;
    return formatDate(Number(year), Number(month), Number(day), hour, minute, second, zone);
  }

  if (rfc2822Pattern.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }

  const time = timePattern.exec(value);
  const hour = time ? to24Hour(Number(time[1]), time[4]) : undefined;
  const clock =
    time && hour !== undefined ? ([String(hour), time[2] as string, time[3] ?? "00"] as const) : undefined;
  const withClock = (year: number, month: number, day: number) =>
    clock ? formatDate(year, month, day, ...clock, undefined) : formatDate(year, month, day);

  const cjk = cjkPattern.exec(value);
  if (cjk) return withClock(Number(cjk[1]), Number(cjk[2]), Number(cjk[3]));

  const vietnamese = vietnamesePattern.exec(value);
  if (vietnamese) {
    const year = vietnamese[3]
      ? Number(vietnamese[3])
      : yearWithout(Number(vietnamese[2]), Number(vietnamese[1]), hints);
    if (year !== undefined) return withClock(year, Number(vietnamese[2]), Number(vietnamese[1]));
  }

  const numeric = numericPattern.exec(value);
  if (numeric) {
    const [, a = "", , b = "", c = ""] = numeric;
    const ordered = orderNumeric(a, b, c, hints.dateOrder ?? "dmy");
    if (ordered) return withClock(...ordered);
  }

  const named = dayMonthYear.exec(value);
  if (named) {
    const month = monthOf(named[2] as string);
    if (month !== undefined) return withClock(eraYear(Number(named[3])), month, Number(named[1]));
  }
  const american = monthDayYear.exec(value);
  if (american) {
    const month = monthOf(american[1] as string);
    if (month !== undefined) return withClock(eraYear(Number(american[3])), month, Number(american[2]));
  }
  const noYear = dayMonthNoYear.exec(value);
  if (noYear) {
    const month = monthOf(noYear[2] as string);
    const day = Number(noYear[1]);
    if (month !== undefined) {
      const year = yearWithout(month, day, hints);
      if (year !== undefined) return withClock(year, month, day);
    }
  }

  return relativeDate(value, hints, clock);
}

/** Thai pages count years from the Buddhist era (2567 = 2024). */
function eraYear(year: number): number {
  return year >= 2400 && year < 2700 ? year - 543 : year;
}

function to24Hour(hour: number, meridiem: string | undefined): number | undefined {
  if (hour > 23) return undefined;
  if (!meridiem) return hour;
  if (hour < 1 || hour > 12) return undefined;
  const pm = meridiem.toLowerCase() === "p";
  return (hour % 12) + (pm ? 12 : 0);
}

function orderNumeric(
  a: string,
  b: string,
  c: string,
  order: "dmy" | "mdy" | "ymd",
): [number, number, number] | undefined {
  if (a.length === 4) return [Number(a), Number(b), Number(c)];
  if (c.length === 3 || a.length === 3) return undefined;
  const year = eraYear(c.length === 2 ? 2000 + Number(c) : Number(c));
  const first = Number(a);
  const second = Number(b);
  if (first > 12 && second <= 12) return [year, second, first];
  if (second > 12 && first <= 12) return [year, first, second];
  return order === "mdy" ? [year, first, second] : [year, second, first];
}

/** The year of a day-and-month date: this year, or last year when that would be in the future. */
function yearWithout(month: number, day: number, hints: DateHints): number | undefined {
  if (!hints.referenceTime) return undefined;
  const reference = new Date(hints.referenceTime);
  if (!Number.isFinite(reference.getTime())) return undefined;
  const year = reference.getUTCFullYear();
  const candidate = Date.UTC(year, month - 1, day);
  return candidate > reference.getTime() + 86_400_000 ? year - 1 : year;
}

function formatDate(
  year: number,
  month: number,
  day: number,
  hour?: string,
  minute?: string,
  second?: string,
  zone?: string,
): string | undefined {
  if (year < 1900 || year > 2100 || month < 1 || month > 12 || day < 1) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  const date = `${year}-${pad(month)}-${pad(day)}`;
  if (hour === undefined || minute === undefined) return date;
  const h = Number(hour);
  const m = Number(minute);
  const s = Number(second ?? "0");
  if (h > 23 || m > 59 || s > 60) return date;
  const local = `${date}T${pad(h)}:${pad(m)}:${pad(Math.min(s, 59))}`;
  if (!zone) return local;
  const normalizedZone =
    zone.toUpperCase() === "Z"
      ? "Z"
      : zone.length === 3
        ? `${zone}:00`
        : zone.includes(":")
          ? zone
          : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${local}${normalizedZone}`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : local;
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

function relativeDate(
  value: string,
  hints: DateHints,
  clock: readonly [string, string, string] | undefined,
): string | undefined {
  if (!hints.referenceTime) return undefined;
  const reference = new Date(hints.referenceTime);
  if (!Number.isFinite(reference.getTime())) return undefined;
  const dayBefore = (days: number) => {
    const date = new Date(reference.getTime() - days * 86_400_000);
    return clock
      ? formatDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), ...clock, undefined)
      : formatDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
  };
  if (yesterdayWords.test(value)) return dayBefore(1);
  for (const pattern of relativePatterns) {
    const match = pattern.exec(value);
    if (!match) continue;
    const amount = Number(match[1]);
    const unit = unitOf(match[2] as string);
    if (!unit || amount > 10_000) return undefined;
    if (unit === "minute" || unit === "hour") {
      const ms = amount * (unit === "minute" ? 60_000 : 3_600_000);
      return new Date(reference.getTime() - ms).toISOString();
    }
    const days = { day: 1, week: 7, month: 30, year: 365 }[unit] * amount;
    return dayBefore(days);
  }
  if (todayWords.test(value)) return dayBefore(0);
  return undefined;
}
