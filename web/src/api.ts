/**
 * The dashboard's only way to the server. Every request is same-origin with the session cookie and carries
 * `X-Requested-With: wildtrawl`, which the API requires of cookie-authenticated unsafe requests (a cross-site form
 * cannot set it).
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

export type Query = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** A GET as the dashboard makes it: a path under /v1 and its query. */
export interface ApiRequest {
  readonly path: string;
  readonly query: Query;
}

/** `/v1` + path + the query's defined values, each encoded. */
export function apiUrl(path: string, query?: Query): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {}))
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  const encoded = search.toString();
  return `/v1${path}${encoded ? `?${encoded}` : ""}`;
}

const unauthorizedListeners = new Set<() => void>();

/** Called when the server answers 401: the session has ended (expired, signed out elsewhere, disabled). */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function send(method: string, url: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json", "x-requested-with": "wildtrawl" };
  if (body !== undefined) headers["content-type"] = "application/json";
  return fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? null : JSON.stringify(body),
  });
}

/** An OK answer's body, read; null for anything else (signed out, an error, no answer). */
type PrefetchedAnswer = { readonly data: unknown } | null;

/** GETs started before anyone asked, by URL, with when they were started. */
const prefetched = new Map<string, { readonly answer: Promise<PrefetchedAnswer>; readonly at: number }>();
/** An older prefetched answer is not used: the screen asks afresh. */
const prefetchFreshMs = 10_000;

// Read as soon as it arrives, not when asked for: a screen that asks for it then has it a few microtasks later,
// before the browser paints, rather than after another task or two on a busy main thread.
async function readPrefetched(response: Promise<Response>): Promise<PrefetchedAnswer> {
  try {
    const answer = await response;
    if (!answer.ok) return null;
    const text = await answer.text();
    return { data: text ? (JSON.parse(text) as unknown) : undefined };
  } catch {
    return null;
  }
}

/**
 * Starts the GET that the opened screen will make, beside the session check, so that its data is on its way while
 * the app starts instead of after. The next `api.get` of the same path and query takes the answer if it was OK;
 * otherwise (signed out, an error) that call asks again and reports as usual.
 */
export function prefetch(path: string, query?: Query): void {
  const url = apiUrl(path, query);
  if (prefetched.has(url)) return;
  prefetched.set(url, { answer: readPrefetched(send("GET", url)), at: Date.now() });
}

async function takePrefetched(url: string): Promise<PrefetchedAnswer> {
  const entry = prefetched.get(url);
  if (!entry) return null;
  prefetched.delete(url);
  return Date.now() - entry.at > prefetchFreshMs ? null : entry.answer;
}

async function request<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}) {
  const url = apiUrl(path, options.query);
  const prefetchedAnswer = method === "GET" ? await takePrefetched(url) : null;
  if (prefetchedAnswer) return prefetchedAnswer.data as T;
  const response = await send(method, url, options.body);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (a proxy's error page): reported below by status.
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (response.status === 401 && path !== "/session")
      for (const listener of unauthorizedListeners) listener();
    throw new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? `${method} ${path} failed with HTTP ${response.status}`,
    );
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>("GET", path, query ? { query } : {}),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, { body: body ?? {} }),
  put: <T>(path: string, body?: unknown) => request<T>("PUT", path, { body: body ?? {} }),
  delete: <T = void>(path: string) => request<T>("DELETE", path),
};

/** An http(s) URL as given, or null: advert links with any other scheme (javascript:, data:…) are not links. */
export function safeHttpUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}
