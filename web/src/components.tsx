import type { FormEvent, ReactNode } from "preact/compat";
import { commonMessages } from "./i18n/common.messages.ts";
import { languageNames, languages, isLanguage } from "./i18n/messages.ts";
import { useLanguage, useMessages } from "./i18n/language.tsx";
import type { Loaded } from "./use-api.ts";

/** Shared pieces of every screen: headings, loading and error states. */

export function ScreenHeader(props: { readonly title: string; readonly children?: ReactNode }) {
  return (
    <header className="screen-header">
      <h1>{props.title}</h1>
      {props.children ? <div className="screen-actions">{props.children}</div> : null}
    </header>
  );
}

export function ErrorMessage(props: { readonly error: Error; readonly onRetry?: () => void }) {
  const t = useMessages(commonMessages);
  return (
    <div className="notice notice-error" role="alert">
      <strong>{t("errorTitle")}</strong>
      <span>{props.error.message}</span>
      {props.onRetry ? (
        <button type="button" onClick={props.onRetry}>
          {t("retry")}
        </button>
      ) : null}
    </div>
  );
}

export function Loading() {
  const t = useMessages(commonMessages);
  return (
    <p className="loading" role="status">
      {t("loading")}
    </p>
  );
}

/** Renders `children(data)` once loaded, the loading line or the error before. */
export function WhenLoaded<T>(props: {
  readonly loaded: Loaded<T> & { reload(): void };
  readonly children: (data: T) => ReactNode;
}) {
  const { loaded } = props;
  if (loaded.status === "loading") return <Loading />;
  if (loaded.status === "error") return <ErrorMessage error={loaded.error} onRetry={loaded.reload} />;
  return <>{props.children(loaded.data)}</>;
}

/** The user's choice of language, kept in localStorage. */
export function LanguagePicker() {
  const t = useMessages(commonMessages);
  const { language, setLanguage } = useLanguage();
  return (
    <label className="language-picker">
      <span className="visually-hidden">{t("language")}</span>
      <select
        value={language}
        onChange={(event) => isLanguage(event.currentTarget.value) && setLanguage(event.currentTarget.value)}
        aria-label={t("language")}
      >
        {languages.map((code) => (
          <option key={code} value={code} lang={code}>
            {languageNames[code]}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The card of the screens before the app (sign-in, authenticator enrolment): the app's name and the language picker. */
export function SignInCard(props: {
  readonly className?: string;
  readonly onSubmit: (event: FormEvent) => Promise<void>;
  readonly children: ReactNode;
}) {
  const t = useMessages(commonMessages);
  return (
    <main className="sign-in">
      <form
        className={props.className ? `card sign-in-card ${props.className}` : "card sign-in-card"}
        onSubmit={(event) => void props.onSubmit(event)}
      >
        <div className="sign-in-brand">
          <span className="brand">{t("appName")}</span>
          <LanguagePicker />
        </div>
        {props.children}
      </form>
    </main>
  );
}

/** Why a sign-in or enrolment form was refused, announced to screen readers. */
export function FormFailure({ failure }: { readonly failure: string | null }) {
  return failure ? (
    <p className="notice notice-error" role="alert">
      {failure}
    </p>
  ) : null;
}

/** The 6-digit code of an authenticator app; spaces some apps show between the digits are dropped. */
export function AuthenticatorCodeInput(props: {
  readonly name: string;
  readonly value: string;
  readonly onChange: (code: string) => void;
}) {
  return (
    <input
      type="text"
      name={props.name}
      inputMode="numeric"
      autoComplete="one-time-code"
      pattern="[0-9]{6}"
      required
      value={props.value}
      onChange={(event) => props.onChange(event.currentTarget.value.replace(/\s/g, ""))}
    />
  );
}
