import { useState, type FormEvent } from "preact/compat";
import { ApiError } from "../api.ts";
import { AuthenticatorCodeInput, FormFailure, SignInCard } from "../components.tsx";
import { commonMessages } from "../i18n/common.messages.ts";
import { useMessages } from "../i18n/language.tsx";
import { useSession } from "../session.tsx";

export function SignInScreen({ expired }: { readonly expired: boolean }) {
  const t = useMessages(commonMessages);
  const { signIn } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  // The code field appears once the server says the account has an authenticator (the password was right).
  const [needsCode, setNeedsCode] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      await signIn({ email, password, ...(totp ? { totp } : {}) });
    } catch (error) {
      if (error instanceof ApiError && error.code === "mfa_required") setNeedsCode(true);
      setFailure(
        error instanceof ApiError && error.code === "mfa_required"
          ? t("totpRequired")
          : error instanceof ApiError && error.code === "login_throttled"
            ? t("signInThrottled")
            : error instanceof ApiError && (error.status === 401 || error.status === 400)
              ? t("signInFailed")
              : error instanceof Error
                ? error.message
                : String(error),
      );
      if (error instanceof ApiError && error.code === "mfa_invalid") setTotp("");
    } finally {
      setBusy(false);
    }
  };

  return (
    <SignInCard onSubmit={submit}>
      <p className="tagline">{t("tagline")}</p>
      <h1>{t("signInTitle")}</h1>
      {expired && !failure ? <p className="notice">{t("sessionExpired")}</p> : null}
      <FormFailure failure={failure} />
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
      {needsCode ? (
        <label>
          {t("totp")}
          <AuthenticatorCodeInput name="totp" value={totp} onChange={setTotp} />
          <small>{t("totpHint")}</small>
        </label>
      ) : null}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t("signingIn") : t("signIn")}
      </button>
    </SignInCard>
  );
}
