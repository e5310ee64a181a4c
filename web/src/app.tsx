import { lazy, Suspense, useEffect } from "preact/compat";
import { LanguagePicker, Loading } from "./components.tsx";
import { commonMessages } from "./i18n/common.messages.ts";
import { LanguageProvider, useLanguage, useMessages } from "./i18n/language.tsx";
import { matchPath } from "./paths.ts";
import { Link, navigate, useLocation } from "./router.tsx";
import { routes, type Route, type Screen, type ScreenProps } from "./routes.ts";
import { SignInScreen } from "./screens/sign-in.tsx";
import { SessionProvider, useSession, type SessionUser } from "./session.tsx";

// Asked for only by a person still without an authenticator: the QR code's encoder stays out of everyone's start.
const MfaEnrolmentScreen = lazy(() =>
  import("./screens/mfa-enrolment.tsx").then((loaded) => ({ default: loaded.MfaEnrolmentScreen })),
);

// Each route's screen component: its screen itself once the chunk has arrived, and through `lazy` until then.
// (`lazy` suspends on its first render even when the chunk is already there: a fallback first, the screen after.)
const screenComponents = new Map<Route, Screen>();
function screenComponent(route: Route): Screen {
  let component = screenComponents.get(route);
  if (!component) {
    const Lazy = lazy(() => route.load().then((loaded) => ({ default: loaded })));
    component = function RouteScreen(props: ScreenProps) {
      const Loaded = route.loaded() ?? Lazy;
      return <Loaded {...props} />;
    };
    screenComponents.set(route, component);
  }
  return component;
}

export function App() {
  return (
    <LanguageProvider>
      <SessionProvider>
        <Shell />
      </SessionProvider>
    </LanguageProvider>
  );
}

function Shell() {
  const { state } = useSession();
  if (state.status === "loading")
    return (
      <main className="centered">
        <Loading />
      </main>
    );
  if (state.status === "signed-out") return <SignInScreen expired={state.expired} />;
  // Every person needs an authenticator: until one is enrolled, the session can do nothing else.
  if (state.status === "enrolling")
    return (
      <Suspense fallback={<Loading />}>
        <MfaEnrolmentScreen user={state.user} />
      </Suspense>
    );
  return <SignedIn user={state.user} />;
}

function SignedIn({ user }: { readonly user: SessionUser }) {
  const t = useMessages(commonMessages);
  const { language } = useLanguage();
  const { signOut } = useSession();
  const { pathname } = useLocation();
  const allowed = routes.filter((route) => route.roles.includes(user.role));
  const navigation = allowed.filter(
    (route): route is Route & { nav: NonNullable<Route["nav"]> } => !!route.nav,
  );
  const home = navigation[0]?.path;

  useEffect(() => {
    if (pathname === "/" && home) navigate(home, { replace: true });
  }, [pathname, home]);

  const matched = routes
    .map((route) => ({ route, params: matchPath(route.path, pathname) }))
    .find((candidate) => candidate.params !== null);
  const section = navigation.find(
    (route) => pathname === route.path || pathname.startsWith(`${route.path}/`),
  );

  useEffect(() => {
    document.title = section ? `${section.nav[language]} · wildtrawl` : "wildtrawl";
  }, [section, language]);

  let content;
  if (!matched || !matched.params) content = <Message title={t("notFoundTitle")} text={t("notFoundText")} />;
  else if (!matched.route.roles.includes(user.role))
    content = <Message title={t("forbiddenTitle")} text={t("forbiddenText")} />;
  else {
    const Screen = screenComponent(matched.route);
    // Keyed by path so that a screen's state starts afresh for another listing or taxon.
    content = (
      <Suspense fallback={<Loading />}>
        <Screen key={pathname} params={matched.params} />
      </Suspense>
    );
  }

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t("skipToContent")}
      </a>
      <header className="topbar">
        <Link to={home ?? "/"} className="brand">
          {t("appName")}
        </Link>
        <nav aria-label={t("mainNavigation")} className="main-nav">
          {navigation.map((route) => (
            <Link key={route.path} to={route.path} current={route === section}>
              {route.nav[language]}
            </Link>
          ))}
        </nav>
        <div className="account">
          <LanguagePicker />
          <span className="who" title={user.email}>
            {t("signedInAs", { name: user.displayName })}
            <span className="role-badge">{t(`role.${user.role}`)}</span>
          </span>
          <button type="button" className="quiet" onClick={() => void signOut().catch(() => {})}>
            {t("signOut")}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {content}
      </main>
    </div>
  );
}

function Message({ title, text }: { readonly title: string; readonly text: string }) {
  return (
    <section className="message-page">
      <h1>{title}</h1>
      <p>{text}</p>
    </section>
  );
}
