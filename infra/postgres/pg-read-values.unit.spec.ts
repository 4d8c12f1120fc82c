import { expect } from 'chai';
import * as fc from 'fast-check';
import { escapeString, escapeValue, mayNeedEscaping, needsEscaping, unescapeValue, unstorable } from './pg-read-values';

/** A UTF-16 surrogate without its partner, found by walking the code units. */
const hasLoneSurrogate = (text: string): boolean => {
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
      else return true;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return true;
  }
  return false;
};

/** What jsonb refuses in a string: NUL, or a lone surrogate. */
const jsonbRefuses = (text: string): boolean => text.includes('\0') || hasLoneSurrogate(text);

// strings mixing ordinary text with every character the escaping treats specially
const trickyString = fc.string({
  unit: fc.constantFrom('a', 'Z', '%', '0', '2', '5', 'u', 'D', '\0', '\uD800', '\uDC00', '\uE000', 'é', '😀'),
  maxLength: 8,
});
const trickyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    trickyString,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(trickyString, tie('value'), { maxKeys: 3 }),
  ),
})).value;

const strings = (value: unknown): string[] => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => [key, ...strings(item)]);
};

describe('values the PostgreSQL read store escapes for jsonb', () => {
  it('gives back exactly what was escaped, for any value', () => {
    fc.assert(
      fc.property(trickyValue, (value) => {
        expect(unescapeValue(escapeValue(value))).to.deep.equal(value);
      }),
    );
  });

  it('leaves no string or key jsonb would refuse', () => {
    fc.assert(
      fc.property(trickyValue, (value) => {
        expect(strings(escapeValue(value)).filter(jsonbRefuses)).to.deep.equal([]);
      }),
    );
  });

  it('tells exactly which values hold something jsonb refuses, and never misses one in their JSON text', () => {
    fc.assert(
      fc.property(trickyValue, (value) => {
        const refused = strings(value).some(jsonbRefuses);
        expect(needsEscaping(value)).to.equal(refused);
        if (refused) expect(mayNeedEscaping(JSON.stringify(value))).to.equal(true);
      }),
    );
    expect(mayNeedEscaping(JSON.stringify({ plain: 'no escapes here', n: 1 }))).to.equal(false);
  });

  it('changes only the strings that need it, so ordinary strings still match a filter', () => {
    expect(escapeString('100% pure')).to.equal('100% pure');
    expect(escapeString('a\0b')).to.equal('\uE000a%00b');
    expect(escapeString('x\uD800')).to.equal('\uE000x%uD800');
    // a string that looks escaped is escaped itself, so it cannot be taken for one
    expect(escapeString('\uE000a%00b')).to.equal('\uE000\uE000a%2500b');
    expect([unstorable('a\0'), unstorable('\uDC00'), unstorable('😀'), unstorable('%00')]).to.deep.equal([
      true,
      true,
      false,
      false,
    ]);
  });
});
