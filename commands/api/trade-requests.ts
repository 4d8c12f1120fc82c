import * as t from 'io-ts';
import { Reason } from '../../domain/shared';
import { PaymentToken } from '../../domain/order';
import { closed } from '../../http/validate';
import { MoneyBody } from './requests';

/** HTTP request bodies of the pre-sale and cash-on-delivery routes. Closed: an unknown field is a 400 naming it. */

export const PayBalanceBody = closed('PayBalanceRequest', {
  payment: closed('BalancePaymentRequest', { token: PaymentToken }),
});
export type PayBalanceBody = t.TypeOf<typeof PayBalanceBody>;

export const DeliverBody = closed('DeliverOrderRequest', { collected: MoneyBody });
export type DeliverBody = t.TypeOf<typeof DeliverBody>;

export const RefuseDeliveryBody = closed('RefuseDeliveryRequest', { reason: Reason });
export type RefuseDeliveryBody = t.TypeOf<typeof RefuseDeliveryBody>;
