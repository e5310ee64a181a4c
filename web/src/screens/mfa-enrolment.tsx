import { useLayoutEffect, useMemo, useState, type FormEvent } from "preact/compat";
import { encode } from "uqr";
import { api, ApiError } from "../api.ts";
import { AuthenticatorCodeInput, ErrorMessage, FormFailure, Loading, SignInCard } from "../components.tsx";
import { useMessages } from "../i18n/language.tsx";
import { useSession, type SessionUser } from "../session.tsx";
import { mfaEnrolmentMessages } from "./mfa-enrolment.messages.ts";

interface Enrolment {
  readonly secret: string;
  readonly uri: string;
}

/** The QR code as one SVG path of its dark modules: drawn by Preact as elements, with no markup string. */
function QrCode({ text, label }: { readonly text: string; readonly label: string }) {
  const { path, size } = useMemo(() => {
    const { data, size } = encode(text, { ecc: "M", border: 2 });
    let d = "";
    data.forEach((row, y) =>
      row.forEach((dark, x) => {
        if (dark) d += `M${x} ${y}h1v1h-1z`;
      }),
    );
    return { path: d, size };
  }, [text]);
  return (
    <svg
      className="qr-code"
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={label}
      shapeRendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}

/**
 * Shown instead of the app while the signed-in person has no authenticator (the API refuses everything else):
 * a new secret as a QR code and as text, then the app's code, which the server swaps for a full session.
 */
export function MfaEnrolmentScreen({ user }: { readonly user: SessionUser }) {
  const t = useMessages(mfaEnrolmentMessages);
  const { confirmMfa, signOut } = useSession();
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [loadError, setLoadError] = useState<Error | null>(null);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  const start = () => {
    setLoadError(null);
    api
      .post<Enrolment>("/session/mfa")
      .then(setEnrolment)
      .catch((error: unknown) => setLoadError(error instanceof Error ? error : new Error(String(error))));
  };
  useLayoutEffect(start, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!enrolment) return;
    setBusy(true);
    setFailure(null);
    try {
      await confirmMfa({ secret: enrolment.secret, code });
    } catch (error) {
      setCode("");
      setFailure(
        error instanceof ApiError && error.code === "mfa_code_invalid"
          ? t("codeWrong")
          : error instanceof Error
            ? error.message
            : String(error),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <SignInCard className="mfa-enrolment" onSubmit={submit}>
      <h1>{t("title")}</h1>
      <p>{t("intro", { name: user.displayName })}</p>
      {loadError ? <ErrorMessage error={loadError} onRetry={start} /> : null}
      {!enrolment && !loadError ? <Loading /> : null}
      {enrolment ? (
        <>
          <p>{t("scan")}</p>
          <QrCode text={enrolment.uri} label={t("qrLabel")} />
          <p className="muted">{t("typeInstead")}</p>
          <dl className="mfa-secret">
            <dt>{t("secretLabel")}</dt>
            <dd>
              <code data-secret={enrolment.secret}>{enrolment.secret.replace(/(.{4})(?=.)/g, "$1 ")}</code>
            </dd>
            <dt>{t("uriLabel")}</dt>
            <dd>
              <code className="mfa-uri">{enrolment.uri}</code>
            </dd>
          </dl>
          <p>{t("enterCode")}</p>
          <FormFailure failure={failure} />
          <label>
            {t("code")}
            <AuthenticatorCodeInput name="code" value={code} onChange={setCode} />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? t("confirming") : t("confirm")}
          </button>
        </>
      ) : null}
      <button type="button" className="quiet" onClick={() => void signOut().catch(() => {})}>
        {t("signOut")}
      </button>
    </SignInCard>
  );
}
