import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import {
  builtInDefaultProfile,
  channelBookDecider,
  channelBookStreamId,
  channelErrorCategories,
  channelEvents,
  ChannelProfile,
  DefineChannel,
  listedChannels,
  orderTermsOf,
  placementRefusal,
  resolveChannel,
  type ChannelBookState,
  type ChannelCommand,
  type ChannelEvent,
} from '../../../domain/channels';
import { DepositBasisPoints, DurationMs, type TradeType } from '../../../domain/order';
import { channelId, currency, fold, money, name, promotionId, timestamp, type Currency } from '../../../domain/shared';
import { givenDecider } from '../../decider-spec';

const given = givenDecider(channelBookDecider);

const EUR = currency('EUR');
const USD = currency('USD');
const MALL = channelId('mall');
const POS = channelId('pos');
const DEFAULT = channelId('default');
const T0 = timestamp('2026-03-01T00:00:00.000Z');
const T1 = timestamp('2026-03-02T00:00:00.000Z');

const depositBasisPoints = (n: number): DepositBasisPoints => {
  if (!DepositBasisPoints.is(n)) throw new TypeError(`bad basis points ${n}`);
  return n;
};
const ms = (n: number): DurationMs => {
  if (!DurationMs.is(n)) throw new TypeError(`bad duration ${n}`);
  return n;
};

const mall = (overrides: Partial<ChannelProfile> = {}): ChannelProfile =>
  ({
    name: name('Brand mall'),
    tradeTypes: ['standard', 'cod'],
    currencies: [EUR],
    paymentTimeoutMs: ms(15 * 60_000),
    reservationTtlMs: ms(30 * 60_000),
    promotions: 'all',
    partialRefunds: true,
    refundWindowDays: 30,
    cod: { maxAmount: 50_000, currency: EUR },
    ...overrides,
  }) as ChannelProfile;

const define = (profile: ChannelProfile, id = MALL, at = T0): ChannelCommand => ({
  type: 'DefineChannel',
  channelId: id,
  profile,
  at,
});
const defined = (profile: ChannelProfile, id = MALL, at = T0): ChannelEvent => ({
  type: 'ChannelDefined',
  channelId: id,
  profile,
  at,
});
const book = (...events: ChannelEvent[]): ChannelBookState => fold(channelBookDecider, events);

describe('the channel book (one stream holds every channel profile)', () => {
  it('lives in the stream channels-default', () => {
    expect(channelBookStreamId()).to.equal('channels-default');
  });

  it('stores ChannelDefined as a versioned event', () => {
    expect(channelEvents.storedTypes).to.deep.equal(['ChannelDefined.v1']);
    expect(channelEvents.encode(defined(mall())).type).to.equal('ChannelDefined.v1');
  });

  it('files every error as a rule violation (422)', () => {
    expect(new Set(Object.values(channelErrorCategories))).to.deep.equal(new Set(['rule_violation']));
  });

  describe('when a channel is defined', () => {
    it('records the whole profile', () => {
      given().when(define(mall())).then(defined(mall()));
    });

    it('records nothing for the same profile again (a restart seeding the same file)', () => {
      given(defined(mall()))
        .when(define(mall(), MALL, T1))
        .then();
    });

    it('records a changed profile, which replaces the old one', () => {
      const changed = mall({ partialRefunds: false });
      given(defined(mall()))
        .when(define(changed, MALL, T1))
        .thenState((state) => {
          expect(state.channels.get(MALL)?.profile.partialRefunds).to.equal(false);
          expect(state.channels.get(MALL)?.definedAt).to.equal(T1);
        });
    });
  });

  describe('refuses a profile that breaks a rule across its fields, naming the field', () => {
    const refusal = (profile: ChannelProfile, code: string, field: string) => {
      const error = given().when(define(profile)).thenFails(code);
      expect(error.details?.field).to.equal(field);
    };

    it('without any trade type', () => {
      refusal(mall({ tradeTypes: [] }), 'NoTradeType', 'tradeTypes');
    });

    it('with a currency listed twice', () => {
      refusal(mall({ currencies: [EUR, USD, EUR] }), 'DuplicateProfileItem', 'currencies');
    });

    it('with a promotion listed twice', () => {
      refusal(mall({ promotions: [promotionId('a'), promotionId('a')] }), 'DuplicateProfileItem', 'promotions');
    });

    it('with a reservation that does not outlive the payment timeout', () => {
      refusal(mall({ reservationTtlMs: ms(15 * 60_000) }), 'ReservationTtlTooShort', 'reservationTtlMs');
    });

    it('allowing cash on delivery without its terms', () => {
      const { cod: _, ...withoutCod } = mall();
      refusal(withoutCod, 'TradeTermsMissing', 'cod');
    });

    it('giving cash-on-delivery terms the trade types do not allow', () => {
      refusal(mall({ tradeTypes: ['standard'] }), 'TradeTermsUnused', 'cod');
    });

    it('with cash on delivery in a currency the channel does not sell in', () => {
      refusal(
        mall({ cod: { maxAmount: 100, currency: USD } as ChannelProfile['cod'] }),
        'CodCurrencyNotAllowed',
        'cod.currency',
      );
    });

    it('with a pre-sale whose balance window is empty', () => {
      refusal(
        mall({
          tradeTypes: ['standard', 'cod', 'presale'],
          presale: {
            depositBasisPoints: 2000,
            balanceFrom: T1,
            balanceUntil: T0,
            lateBalance: 'keepDeposit',
          } as ChannelProfile['presale'],
        }),
        'PresaleWindowEmpty',
        'presale.balanceUntil',
      );
    });
  });

  describe('its profile codec', () => {
    it('accepts a profile with integers only', () => {
      expect(E.isRight(DefineChannel.decode(define(mall())))).to.equal(true);
    });

    it('refuses a fractional timeout or an unknown trade type', () => {
      expect(ChannelProfile.is({ ...mall(), paymentTimeoutMs: 1.5 })).to.equal(false);
      expect(ChannelProfile.is({ ...mall(), tradeTypes: ['auction'] })).to.equal(false);
    });
  });
});

describe('which channel a placement gets', () => {
  it('is the built-in default while the book is empty, freezing no terms', () => {
    const resolved = resolveChannel(book(), DEFAULT);
    expect(resolved).to.deep.equal({ channelId: DEFAULT, profile: builtInDefaultProfile, builtIn: true });
    expect(listedChannels(book()).map((c) => c.channelId)).to.deep.equal([DEFAULT]);
  });

  it('is unknown for any other id while the book is empty', () => {
    expect(resolveChannel(book(), POS)).to.equal(undefined);
  });

  it('is the defined one once channels are defined, and default is then unknown unless defined', () => {
    const state = book(defined(mall()));
    expect(resolveChannel(state, MALL)?.builtIn).to.equal(false);
    expect(resolveChannel(state, DEFAULT)).to.equal(undefined);
    expect(listedChannels(state).map((c) => c.channelId)).to.deep.equal([MALL]);
  });

  it('lets default be redefined, and then it freezes terms like any channel', () => {
    const state = book(defined(mall(), DEFAULT));
    expect(resolveChannel(state, DEFAULT)?.builtIn).to.equal(false);
  });
});

describe('the terms an order of a channel carries', () => {
  it('freeze the durations, refunds and trade terms, the window in milliseconds', () => {
    expect(orderTermsOf(mall({ purchaseLimitPerCustomer: 2 } as Partial<ChannelProfile>))).to.deep.equal({
      paymentTimeoutMs: 15 * 60_000,
      reservationTtlMs: 30 * 60_000,
      partialRefunds: true,
      refundWindowMs: 30 * 86_400_000,
      purchaseLimitPerCustomer: 2,
      cod: { maxAmount: 50_000, currency: EUR },
    });
  });

  it('have no window when the channel has none', () => {
    expect(orderTermsOf(mall({ refundWindowDays: null })).refundWindowMs).to.equal(null);
  });
});

describe('a placement checked against its channel', () => {
  const placement = (
    tradeType: TradeType,
    amount: number,
    cur: Currency = EUR,
    at = timestamp('2026-03-01T10:00:00.000Z'),
  ) => ({
    channel: MALL,
    tradeType,
    currency: cur,
    total: money(amount, cur),
    at,
  });

  it('passes what the profile allows', () => {
    expect(placementRefusal(mall(), placement('standard', 100))).to.equal(undefined);
    expect(placementRefusal(mall(), placement('cod', 50_000))).to.equal(undefined);
  });

  it('refuses an unknown channel', () => {
    expect(placementRefusal(undefined, placement('standard', 100))?.code).to.equal('UnknownChannel');
  });

  it('refuses a trade type the channel does not take', () => {
    expect(placementRefusal(mall(), placement('presale', 100))?.code).to.equal('TradeTypeNotAllowed');
  });

  it('refuses a currency the channel does not sell in', () => {
    expect(placementRefusal(mall(), placement('standard', 100, USD))?.code).to.equal('CurrencyNotAllowed');
  });

  it('takes any currency when the profile lists none', () => {
    expect(placementRefusal(mall({ currencies: [] }), placement('standard', 100, USD))).to.equal(undefined);
  });

  it('refuses cash on delivery above the channel maximum', () => {
    const refusal = placementRefusal(mall(), placement('cod', 50_001));
    expect(refusal?.code).to.equal('CodAmountExceeded');
    expect(refusal?.details?.maxAmount).to.deep.equal({ amount: 50_000, currency: 'EUR' });
  });

  describe('for a pre-sale', () => {
    const presaleChannel = () =>
      mall({
        tradeTypes: ['standard', 'presale'],
        presale: {
          depositBasisPoints: depositBasisPoints(3000),
          balanceFrom: timestamp('2026-03-05T00:00:00.000Z'),
          balanceUntil: timestamp('2026-03-10T00:00:00.000Z'),
          lateBalance: 'keepDeposit',
        },
      });
    const presaleAt = (at: string) => placement('presale', 100, EUR, timestamp(at));

    it('takes it before the balance window opens and while it is open', () => {
      expect(placementRefusal(presaleChannel(), presaleAt('2026-03-01T10:00:00.000Z'))).to.equal(undefined);
      expect(placementRefusal(presaleChannel(), presaleAt('2026-03-09T23:59:59.999Z'))).to.equal(undefined);
    });

    it('refuses it from the end of the balance window on, naming balanceUntil', () => {
      for (const at of ['2026-03-10T00:00:00.000Z', '2026-04-01T00:00:00.000Z']) {
        const refusal = placementRefusal(presaleChannel(), presaleAt(at));
        expect(refusal?.code, at).to.equal('PresaleClosed');
        expect(refusal?.category).to.equal('rule_violation');
        expect(refusal?.details).to.deep.include({ channel: 'mall', balanceUntil: '2026-03-10T00:00:00.000Z', at });
        expect(refusal?.message).to.include('2026-03-10T00:00:00.000Z');
      }
    });

    it('leaves other trade types of the channel alone after the window', () => {
      expect(
        placementRefusal(presaleChannel(), placement('standard', 100, EUR, timestamp('2026-04-01T00:00:00.000Z'))),
      ).to.equal(undefined);
    });
  });
});
