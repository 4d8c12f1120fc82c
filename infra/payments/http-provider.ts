import * as t from 'io-ts';
import * as E from 'fp-ts/Either';
import { AuthorizationOutcome, RefundOutcome } from '../../domain/payment';
import type {
  AuthorizeRequest,
  AuthorizeResult,
  CaptureRequest,
  CaptureResult,
  PaymentProvider,
  RefundRequest,
  RefundResult,
  VoidRequest,
  VoidResult,
} from '../../ports/payment-provider';

export interface HttpPaymentProviderOptions {
  /** the provider's base URL, e.g. `http://payment-simulator:3003`; the calls go to `{base}/v1/authorize` etc. */
  readonly baseUrl: string;
  /** a call without a complete answer in this time is a provider error (default 10 s) */
  readonly timeoutMs?: number;
  /** sent as `Authorization: Bearer <key>` */
  readonly apiKey?: string;
  /** the fetch to use (tests); Node's global fetch by default, which keeps connections alive */
  readonly fetch?: typeof fetch;
}

const ProviderMessage = t.readonly(t.strict({ result: t.literal('provider_error'), message: t.string }));

export const CaptureResultCodec: t.Decoder<unknown, CaptureResult> = t.union([
  t.readonly(t.strict({ result: t.literal('captured') })),
  ProviderMessage,
]);

export const VoidResultCodec: t.Decoder<unknown, VoidResult> = t.union([
  t.readonly(t.strict({ result: t.literal('voided') })),
  ProviderMessage,
]);

/** Messages go into commands as ProviderText (1..500 characters, not blank). */
const providerText = (message: string): string => {
  const trimmed = message.trim();
  if (trimmed === '') return 'payment provider error';
  return trimmed.length <= 500 ? trimmed : `${trimmed.slice(0, 499)}…`;
};

const transportFailure = (error: unknown, timeoutMs: number): string => {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `the payment provider did not answer within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `the payment provider could not be reached (${error instanceof Error ? error.message : String(error)}${cause})`;
};

/** The `detail` of a problem+json answer, when the body is one. */
const detailOf = (body: string): string => {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && 'detail' in parsed && typeof parsed.detail === 'string') {
      return `: ${parsed.detail}`;
    }
  } catch {
    // not JSON: the status says enough
  }
  return '';
};

/**
 * The payment-provider port over HTTP: `POST {base}/v1/authorize|capture|void|refund` with the request as JSON,
 * answered with the port's result as JSON (`commerce payment-simulator` serves exactly that). Every saga runner of a
 * deployment talks to the same provider, so runner B can capture what runner A authorized.
 *
 * A call never throws: an unreachable provider, a timeout, a 5xx or an answer that is not one of the port's
 * results become the port's "provider error, retry" answer (`provider_error`; for a refund, `failed`), so the
 * saga's retries and the provider breaker work as with the in-process simulator. The idempotency key travels in
 * the body, so a retry after a lost answer gets the first answer, not a second charge.
 */
export class HttpPaymentProvider implements PaymentProvider {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly fetch: typeof fetch;

  constructor(options: HttpPaymentProviderOptions) {
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new RangeError(`the payment provider URL must be http(s), got ${url.protocol}`);
    }
    this.base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs < 1) {
      throw new RangeError(`timeoutMs must be a positive whole number, got ${this.timeoutMs}`);
    }
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
    };
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  authorize(request: AuthorizeRequest): Promise<AuthorizeResult> {
    const { orderId, amount, token, idempotencyKey } = request;
    return this.call('authorize', { orderId, amount, token, idempotencyKey }, AuthorizationOutcome, (message) => ({
      result: 'provider_error',
      message,
    }));
  }

  capture(request: CaptureRequest): Promise<CaptureResult> {
    const { orderId, authorizationId, amount, idempotencyKey } = request;
    return this.call(
      'capture',
      { orderId, authorizationId, amount, idempotencyKey },
      CaptureResultCodec,
      (message) => ({ result: 'provider_error', message }),
    );
  }

  void(request: VoidRequest): Promise<VoidResult> {
    const { orderId, authorizationId, idempotencyKey } = request;
    return this.call('void', { orderId, authorizationId, idempotencyKey }, VoidResultCodec, (message) => ({
      result: 'provider_error',
      message,
    }));
  }

  refund(request: RefundRequest): Promise<RefundResult> {
    // RefundOutcome has no provider error: `failed` is what the refund saga retries
    const { orderId, refundId, amount, idempotencyKey } = request;
    return this.call('refund', { orderId, refundId, amount, idempotencyKey }, RefundOutcome, (message) => ({
      result: 'failed',
      message,
    }));
  }

  private async call<R>(
    operation: 'authorize' | 'capture' | 'void' | 'refund',
    /** exactly the port's request fields: the server refuses unknown ones */
    request: unknown,
    codec: t.Decoder<unknown, R>,
    providerError: (message: string) => R,
  ): Promise<R> {
    const failed = (message: string): R => providerError(providerText(`${operation}: ${message}`));
    let status: number;
    let body: string;
    try {
      // the signal covers the body too: a provider that stalls midway still times out
      const response = await this.fetch(`${this.base}/v1/${operation}`, {
        method: 'POST',
        headers: this.headers,
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      // read every answer to the end, so the connection goes back to the keep-alive pool
      body = await response.text();
    } catch (error) {
      return failed(transportFailure(error, this.timeoutMs));
    }
    if (status !== 200) return failed(`the payment provider answered HTTP ${status}${detailOf(body)}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return failed('the payment provider answered something that is not JSON');
    }
    const decoded = codec.decode(parsed);
    if (E.isLeft(decoded)) return failed(`the payment provider answered an unknown result ${body.slice(0, 200)}`);
    return decoded.right;
  }
}
