import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from "preact/compat";
import { formatMessage, isLanguage, type Language, type Messages } from "./messages.ts";

const storageKey = "wildtrawl.language";

function initialLanguage(): Language {
  try {
    const stored = localStorage.getItem(storageKey);
    if (isLanguage(stored)) return stored;
  } catch {
    // Storage can be disabled (private modes, policies): fall back to the browser's preference.
  }
  const preferred = navigator.languages.map((tag) => tag.slice(0, 2).toLowerCase());
  return preferred.find(isLanguage) ?? "en";
}

interface LanguageContextValue {
  readonly language: Language;
  setLanguage(language: Language): void;
}

const LanguageContext = createContext<LanguageContextValue>({ language: "en", setLanguage: () => {} });

export function LanguageProvider({ children }: { readonly children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  const setLanguage = useCallback((next: Language) => {
    setLanguageState(next);
    try {
      localStorage.setItem(storageKey, next);
    } catch {
      // Not persisted: the choice still holds for this page.
    }
  }, []);
  const value = useMemo(() => ({ language, setLanguage }), [language, setLanguage]);
  return <LanguageContext value={value}>{children}</LanguageContext>;
}

export function useLanguage(): LanguageContextValue {
  return useContext(LanguageContext);
}

export type Translate<Key extends string> = (
  key: Key,
  values?: Readonly<Record<string, string | number>>,
) => string;

/** The translator for one dictionary in the user's language. */
export function useMessages<Key extends string>(messages: Messages<Key>): Translate<Key> {
  const { language } = useLanguage();
  return useCallback(
    (key: Key, values?: Readonly<Record<string, string | number>>) =>
      formatMessage(messages[language][key], values),
    [messages, language],
  );
}
