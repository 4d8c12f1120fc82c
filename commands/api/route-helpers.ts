import type { Request, Response } from 'express';
import * as E from 'fp-ts/Either';
import { available, type InventoryState } from '../../domain/inventory';
import type { OrderState } from '../../domain/order';
import type { DomainError } from '../../domain/shared';
import { problem, validationProblem } from '../../http/problem';
import { requestContext } from '../../http/middleware';
import { newId } from '../../ports/ids';
import type { CommandContext, Handled } from '../command-handler';
import type { PlaceOrderError } from '../place-order';
import { requestFingerprint } from './request-fingerprint';
import { IdempotencyKey } from './requests';

/** What every command route shares: the command context from the request, path parameters, errors as problems. */

const statusFor: Readonly<Record<DomainError['category'], number>> = {
  not_found: 404,
  conflict: 409,
  rule_violation: 422,
};

/** Maps a domain or concurrency error to problem+json; its `code` becomes the stable problem `type`. */
export const rejected = (error: PlaceOrderError): never => {
  if (error.category === 'invalid') throw validationProblem(error.errors, 'order');
  const details = 'details' in error && error.details ? { details: error.details } : {};
  throw problem(statusFor[error.category], error.code, titleOf(error.code), error.message, {
    code: error.code,
    ...details,
  });
};

const titleOf = (code: string): string => code.replace(/([a-z0-9])([A-Z])/g, '$1 $2');

export const unwrap = <S, Ev>(result: E.Either<PlaceOrderError, Handled<S, Ev>>): Handled<S, Ev> =>
  E.isLeft(result) ? rejected(result.left) : result.right;

/**
 * Command id from `Idempotency-Key` (a repeat of the same request returns the first result; the same key with other
 * parameters is a 422), or a fresh one.
 */
export const commandContext = (req: Request, res: Response): CommandContext => {
  const key = req.get('Idempotency-Key');
  if (key !== undefined && !IdempotencyKey.test(key)) {
    throw problem(
      400,
      'InvalidIdempotencyKey',
      'Invalid Idempotency-Key',
      'Idempotency-Key must be 1–128 characters of A–Z, a–z, 0–9, . _ : -',
    );
  }
  const ctx = requestContext(res);
  if (key === undefined) {
    const commandId = newId();
    return { commandId, causationId: commandId, correlationId: ctx.correlationId };
  }
  const fingerprint = requestFingerprint(req.method, `${req.baseUrl}${req.path}`, req.body);
  return { commandId: key, causationId: key, correlationId: ctx.correlationId, requestFingerprint: fingerprint };
};

export const param = <A>(
  codec: { decode: (u: unknown) => E.Either<unknown, A>; name: string },
  req: Request,
  name: string,
): A => {
  const decoded = codec.decode(req.params[name]);
  if (E.isLeft(decoded)) {
    throw problem(
      400,
      'InvalidPathParameter',
      'Invalid path parameter',
      `${name}: expected ${codec.name}, got ${JSON.stringify(req.params[name])}`,
    );
  }
  return decoded.right;
};

export const skuView = (state: InventoryState, position: number) => {
  if (state.status !== 'Active') return { position };
  return {
    sku: state.sku,
    name: state.name,
    unitPrice: state.unitPrice,
    onHand: state.onHand,
    reserved: state.reserved,
    available: available(state),
    purchaseLimit: state.purchaseLimit === null ? null : { perCustomer: state.purchaseLimit.perCustomer },
    warehouses: Object.fromEntries(
      [...state.warehouses].map(([id, level]) => [
        id,
        { onHand: level.onHand, reserved: level.reserved, available: level.onHand - level.reserved },
      ]),
    ),
    position,
  };
};

export const orderStatus = (state: OrderState): string => state.status;
