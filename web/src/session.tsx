import {
  createContext,
  useCallback,
  useContext,
  useLayoutEffect,
  useMemo,
  useState,
  type ReactNode,
} from "preact/compat";
import { api, ApiError, onUnauthorized } from "./api.ts";
import type { Role } from "./roles.ts";

export interface SessionUser {
  readonly id: number;
  readonly email: string;
  readonly displayName: string;
  readonly role: Role;
  readonly organisationId: number;
}

export interface SessionResponse {
  /** The person has no authenticator yet: this session can only enrol one (docs/api.md, "Signing in"). */
  readonly mfaEnrolmentRequired: boolean;
  readonly user: SessionUser;
  readonly expiresAt: string;
}

export type SessionState =
  | { readonly status: "loading" }
  | { readonly status: "signed-out"; readonly expired: boolean }
  | { readonly status: "enrolling"; readonly user: SessionUser }
  | { readonly status: "signed-in"; readonly user: SessionUser; readonly expiresAt: string };

interface SessionContextValue {
  readonly state: SessionState;
  signIn(credentials: { email: string; password: string; totp?: string }): Promise<void>;
  /** Stores the authenticator once its code proves it; the server answers with a new, full session. */
  confirmMfa(enrolment: { secret: string; code: string }): Promise<void>;
  signOut(): Promise<void>;
}

function stateOf(session: SessionResponse): SessionState {
  return session.mfaEnrolmentRequired
    ? { status: "enrolling", user: session.user }
    : { status: "signed-in", user: session.user, expiresAt: session.expiresAt };
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { readonly children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: "loading" });

  // A layout effect, as in useApi: the prefetched session is taken before the first paint, not a frame later.
  useLayoutEffect(() => {
    let cancelled = false;
    api
      .get<SessionResponse>("/session")
      .then((session) => {
        if (!cancelled) setState(stateOf(session));
      })
      .catch(() => {
        if (!cancelled) setState({ status: "signed-out", expired: false });
      });
    const stop = onUnauthorized(() => setState({ status: "signed-out", expired: true }));
    return () => {
      cancelled = true;
      stop();
    };
  }, []);

  const signIn = useCallback(async (credentials: { email: string; password: string; totp?: string }) => {
    const session = await api.post<SessionResponse>("/session", credentials);
    setState(stateOf(session));
  }, []);

  const confirmMfa = useCallback(async (enrolment: { secret: string; code: string }) => {
    const session = await api.post<SessionResponse>("/session/mfa/confirm", enrolment);
    setState(stateOf(session));
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.delete("/session");
    } catch (error) {
      // Already ended on the server: signed out all the same.
      if (!(error instanceof ApiError && error.status === 401)) throw error;
    }
    setState({ status: "signed-out", expired: false });
  }, []);

  const value = useMemo(() => ({ state, signIn, confirmMfa, signOut }), [state, signIn, confirmMfa, signOut]);
  return <SessionContext value={value}>{children}</SessionContext>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}

/** The signed-in user: screens are only rendered inside a session. */
export function useUser(): SessionUser {
  const { state } = useSession();
  if (state.status !== "signed-in") throw new Error("useUser without a signed-in user");
  return state.user;
}
