/** The dashboard's languages: the three working languages of CITES. */
export const languages = ["en", "fr", "es"] as const;
export type Language = (typeof languages)[number];

export const languageNames: Readonly<Record<Language, string>> = {
  en: "English",
  fr: "Français",
  es: "Español",
};

/** One text in every language, for short labels that live beside their use (a route's title). */
export type Translated = Readonly<Record<Language, string>>;

/** A dictionary: the same keys in every language, English first and the others checked against it. */
export type Messages<Key extends string> = { readonly [L in Language]: Readonly<Record<Key, string>> };

/**
 * Declares one screen's (or area's) dictionary. The type makes a missing or extra key in French or Spanish a
 * compile error; test/dashboard/i18n.test.ts checks the same at run time for every `*.messages.ts` file.
 */
export function defineMessages<const English extends Record<string, string>>(messages: {
  readonly en: English;
  readonly fr: Record<keyof English, string>;
  readonly es: Record<keyof English, string>;
}): Messages<keyof English & string> {
  return messages as Messages<keyof English & string>;
}

/** Fills `{name}` placeholders. The result is plain text: React renders it as a text node. */
export function formatMessage(template: string, values?: Readonly<Record<string, string | number>>): string {
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && (languages as readonly string[]).includes(value);
}
