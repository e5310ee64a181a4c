import { useState, type FormEvent } from "preact/compat";
import { ApiError } from "../api.ts";
import { LanguagePicker } from "../components.tsx";
import { commonMessages } from "../i18n/common.messages.ts";
import { useMessages } from "../i18n/language.tsx";
import { useSession } from "../session.tsx";

export function SignInScreen({ expired }: { readonly expired: boolean }) {
  const t = useMessages(commonMessages);
  const { signIn } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      await signIn({ email, password, ...(totp ? { totp } : {}) });
    } catch (error) {
      setFailure(
        error instanceof ApiError && error.code === "mfa_required"
          ? t("totpRequired")
          : error instanceof ApiError && (error.status === 401 || error.status === 400)
            ? t("signInFailed")
            : error instanceof Error
              ? error.message
              : String(error),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form className="card sign-in-card" onSubmit={(event) => void submit(event)}>
        <div className="sign-in-brand">
          <span className="brand">{t("appName")}</span>
          <LanguagePicker />
        </div>
        <p className="tagline">{t("tagline")}</p>
        <h1>{t("signInTitle")}</h1>
        {expired && !failure ? <p className="notice">{t("sessionExpired")}</p> : null}
        {failure ? (
          <p className="notice notice-error" role="alert">
            {failure}
          </p>
        ) : null}
        <label>
          {t("email")}
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
          />
        </label>
        <label>
          {t("password")}
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
          />
        </label>
        <label>
          {t("totp")}
          <input
            type="text"
            name="totp"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6,8}"
            value={totp}
            onChange={(event) => setTotp(event.currentTarget.value.trim())}
          />
          <small>{t("totpHint")}</small>
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t("signingIn") : t("signIn")}
        </button>
      </form>
    </main>
  );
}
