/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.

/** A read-API call that did not answer 2xx; status 0 when the server could not be reached at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

export interface ApiAnswer<T> {
  readonly body: T;
  readonly headers: Headers;
}

/**
 * The API sits beside the page: `/v1` for a page at `/` or `/dashboard`, `/prefix/v1` behind a proxy that
 * serves the page at `/prefix/dashboard`.
 */
export const apiRoot = (pathname: string): string => {
  const base = pathname.replace(/(?:dashboard\/?|index\.html)$/, '');
  return base.endsWith('/') ? base : `${base}/`;
};

const problemOf = async (response: Response): Promise<ApiError> => {
  const fallback = new ApiError(response.status, response.statusText || `HTTP ${response.status}`, '');
  try {
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null) return fallback;
    const title = 'title' in body && typeof body.title === 'string' ? body.title : fallback.title;
    const detail = 'detail' in body && typeof body.detail === 'string' ? body.detail : '';
    return new ApiError(response.status, title, detail);
  } catch {
    return fallback;
  }
};

/** Calls the read API with the session's key (if any) as a bearer token. */
export class Api {
  constructor(
    private readonly key: () => string | null,
    private readonly root: string = apiRoot(location.pathname),
  ) {}

  url(path: string): string {
    return `${this.root}v1/${path}`;
  }

  headers(): Record<string, string> {
    const key = this.key();
    return key === null ? {} : { Authorization: `Bearer ${key}` };
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<ApiAnswer<T>> {
    return this.call<T>('GET', path, signal);
  }

  async post<T>(path: string): Promise<ApiAnswer<T>> {
    return this.call<T>('POST', path);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, signal?: AbortSignal): Promise<ApiAnswer<T>> {
    let response: Response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers: { Accept: 'application/json', ...this.headers() },
        cache: 'no-store',
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiError(0, 'Server unreachable', 'the read API did not answer; is the engine running?');
    }
    if (!response.ok) throw await problemOf(response);
    const text = await response.text();
    // the read API's own answers; the views read them defensively (optional fields, fallbacks)
    const body = (text.length > 0 ? JSON.parse(text) : {}) as T;
    return { body, headers: response.headers };
  }
}

/** `403 Forbidden: this API key lacks the "read" scope` */
export const describeError = (error: unknown): string => {
  if (error instanceof ApiError) {
    const head = error.status === 0 ? error.title : `${error.status} ${error.title}`;
    return error.message === '' ? head : `${head}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
};

export const isAuthError = (error: unknown): error is ApiError =>
  error instanceof ApiError && (error.status === 401 || error.status === 403);
