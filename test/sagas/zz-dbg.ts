import { fulfilmentSaga } from '/work/main/domain/sagas';
import { config } from '/work/main/test/sagas/fixtures';
import { World } from '/work/main/test/sagas/world';
const w = new World(fulfilmentSaga(config), {
  stock: { A: 5, B: 5, C: 5 },
  authorizations: ['approve'],
  refunds: ['ok'],
});
// deliver placed
w.deliverNextFrom(0);
for (let i = 0; i < 3; i++) w.executeCommand(0);
for (let i = 0; i < 3; i++) w.deliverNextFrom(0);
console.log(
  'after reserve',
  w.saga.status,
  w.outbox.map((c) => c.commandId),
);
w.executeCommand(0);
w.deliverNextFrom(0);
console.log(
  'after auth',
  w.saga.status,
  w.outbox.map((c) => c.commandId),
);
w.customerCancels();
w.drain();
console.log(w.saga.status, w.order.status, w.payment.status);
console.log(w.sagaEvents.map((e) => e.type).join('\n'));
