import express, { type Router } from 'express';
import * as t from 'io-ts';
import { MoneyBody } from '../../commands/api/requests';
import { AuthorizationOutcome, ProviderText, RefundOutcome } from '../../domain/payment';
import { OrderId, RefundId, constrainedString } from '../../domain/shared';
import { toJsonSchema } from '../../http/json-schema';
import { requireScope } from '../../http/middleware';
import type { OperationSpec } from '../../http/openapi';
import { closed, decodeOr400 } from '../../http/validate';
import type { PaymentProvider } from '../../ports/payment-provider';
import { CaptureResultCodec, VoidResultCodec } from './http-provider';

/** The caller's idempotency key (the saga's command id): the same key always gets the same answer. */
export const IdempotencyKey = constrainedString<'IdempotencyKey', { readonly IdempotencyKey: unique symbol }>(
  'IdempotencyKey',
  { minLength: 1, maxLength: 500 },
);

export const AuthorizeBody = closed('AuthorizeRequest', {
  orderId: OrderId,
  amount: MoneyBody,
  token: ProviderText,
  idempotencyKey: IdempotencyKey,
});

export const CaptureBody = closed('CaptureRequest', {
  orderId: OrderId,
  authorizationId: ProviderText,
  amount: MoneyBody,
  idempotencyKey: IdempotencyKey,
});

export const VoidBody = closed('VoidRequest', {
  orderId: OrderId,
  authorizationId: ProviderText,
  idempotencyKey: IdempotencyKey,
});

export const RefundBody = closed('RefundRequest', {
  orderId: OrderId,
  refundId: RefundId,
  amount: MoneyBody,
  idempotencyKey: IdempotencyKey,
});

const operation = (
  name: 'authorize' | 'capture' | 'void' | 'refund',
  summary: string,
  body: OperationSpec['body'],
  result: t.Decoder<unknown, unknown>,
): OperationSpec => ({
  method: 'post',
  path: `/v1/${name}`,
  operationId: `${name}Payment`,
  summary,
  // a provider moves money: with API_KEYS set, only a key with every scope may call it (the simulator's own key)
  scope: 'admin',
  ...(body === undefined ? {} : { body }),
  success: {
    status: 200,
    description: "the provider's answer (a provider error is an answer too, and the caller retries it)",
    schema: toJsonSchema(result),
  },
  problems: [],
});

export const paymentProviderOperations: readonly OperationSpec[] = [
  operation('authorize', 'Authorize an amount on a payment token', AuthorizeBody, AuthorizationOutcome),
  operation('capture', 'Capture an authorization (at most the authorized amount)', CaptureBody, CaptureResultCodec),
  operation('void', 'Void an authorization that was not captured', VoidBody, VoidResultCodec),
  operation('refund', 'Refund part or all of a charge', RefundBody, RefundOutcome),
];

/**
 * A `PaymentProvider` served over HTTP: `POST /v1/authorize|capture|void|refund` (mounted under `/v1`), each taking
 * the port's request as JSON and answering its result as JSON, 200 — what `HttpPaymentProvider` calls. A body that
 * is not a request is a 400 problem+json naming the fields; a provider that throws is a 500 (which the client
 * treats as a provider error).
 */
export const paymentProviderRoutes = (provider: PaymentProvider): Router => {
  const router = express.Router();
  const scope = requireScope('admin');
  router.post('/authorize', scope, async (req, res) => {
    res.json(await provider.authorize(decodeOr400(AuthorizeBody, req.body)));
  });
  router.post('/capture', scope, async (req, res) => {
    res.json(await provider.capture(decodeOr400(CaptureBody, req.body)));
  });
  router.post('/void', scope, async (req, res) => {
    res.json(await provider.void(decodeOr400(VoidBody, req.body)));
  });
  router.post('/refund', scope, async (req, res) => {
    res.json(await provider.refund(decodeOr400(RefundBody, req.body)));
  });
  return router;
};

/** The routes and the operations that document them, in the shape of an API part (`app/runtime/http-server.ts`). */
export const paymentProviderApi = (
  provider: PaymentProvider,
): { readonly router: Router; readonly operations: readonly OperationSpec[] } => ({
  router: paymentProviderRoutes(provider),
  operations: paymentProviderOperations,
});
