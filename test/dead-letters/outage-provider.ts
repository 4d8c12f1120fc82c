import { SimulatedPaymentProvider } from '../../infra/payments';
import type { PaymentProvider } from '../../ports/payment-provider';

/**
 * The simulated provider, unreachable for the orders in `down`: their authorizations throw (a connection error,
 * not a decline), so the saga runner gives up on the command after its retries and dead-letters it. Taking an
 * order out of `down` brings the provider back for it, so a retry of the letter then succeeds.
 */
export class OutageProvider implements PaymentProvider {
  readonly down = new Set<string>();
  private readonly simulated = new SimulatedPaymentProvider({ sleep: () => Promise.resolve() });

  authorize: PaymentProvider['authorize'] = (request) =>
    this.down.has(request.orderId)
      ? Promise.reject(new Error(`connect ECONNREFUSED: the provider is down for ${request.orderId}`))
      : this.simulated.authorize(request);
  capture: PaymentProvider['capture'] = (request) => this.simulated.capture(request);
  void: PaymentProvider['void'] = (request) => this.simulated.void(request);
  refund: PaymentProvider['refund'] = (request) => this.simulated.refund(request);
}
