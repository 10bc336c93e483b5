import { describe, expect, it } from 'vitest';
import { CacheError, CacheOptionsError, faithfulSerializer } from '../../lib/index.js';
import { EntryCodec } from '../../lib/serialization/entry-codec.js';
import { checkValueType, restoreType, toStoredData } from '../../lib/serialization/value-type.js';

class Account {
  static built = 0;
  constructor(
    public id: number,
    public opened: Date,
  ) {
    Account.built++;
  }

  get label(): string {
    return `#${this.id}`;
  }
}

class Savings extends Account {}

const codec = new EntryCodec(faithfulSerializer);
const through = (value: unknown, type: Parameters<typeof toStoredData>[1]) =>
  restoreType(codec.decode(codec.wrap(codec.serialize(value, type))).value, type);

describe('type: restoring class instances', () => {
  it('stores an instance as its own enumerable properties and restores it without its constructor', () => {
    const account = new Account(1, new Date(7));
    const built = Account.built;
    const copy = through(account, Account) as Account;
    expect(copy).toBeInstanceOf(Account);
    expect(copy).toStrictEqual(account);
    expect(copy.label).toBe('#1');
    expect(copy.opened).toBeInstanceOf(Date);
    expect(Account.built).toBe(built);
  });

  it('restores each element of an array with [Class], null included', () => {
    const list = [new Account(1, new Date(0)), null];
    const copy = through(list, [Account]) as (Account | null)[];
    expect(copy).toStrictEqual(list);
    expect(copy[0]).toBeInstanceOf(Account);
    expect(through(null, Account)).toBeNull();
  });

  it('refuses what is not exactly an instance of the class, saying what it is instead', () => {
    const cases: [unknown, Parameters<typeof toStoredData>[1], RegExp][] = [
      [new Savings(1, new Date(0)), Account, /\(root\) is a Savings, not an instance of Account/],
      [{ id: 1 }, Account, /is a plain object, not an instance of Account/],
      [[new Account(1, new Date(0))], Account, /is an array, not an instance of Account/],
      [new Account(1, new Date(0)), [Account], /not an array of Account/],
      [[new Account(1, new Date(0)), 'x'], [Account], /\[1\] is a string/],
      [undefined, Account, /is undefined/],
    ];
    for (const [value, type, message] of cases) {
      expect(() => toStoredData(value, type)).toThrow(message);
      expect(() => toStoredData(value, type)).toThrow(CacheError);
    }
  });

  it('refuses a class instance nested inside a typed value', () => {
    const account = new Account(1, new Date(0)) as Account & { owner?: unknown };
    account.owner = new Account(2, new Date(0));
    expect(() => codec.serialize(account, Account)).toThrow(
      /class instance \(Account\) at \.owner.*plain data/,
    );
  });

  it('answers a corrupted-entry error for data of another shape', () => {
    for (const [data, type] of [
      ['text', Account],
      [[{ id: 1 }], Account],
      [{ id: 1 }, [Account]],
      [[1], [Account]],
    ] as const) {
      expect(() => restoreType(data, type as never)).toThrow(
        expect.objectContaining({ code: 'E_CACHE_CORRUPTED_ENTRY' }) as CacheError,
      );
    }
  });

  it('checks a type option: a class or a one-class array', () => {
    expect(checkValueType(Account, 'type')).toBe(Account);
    expect(checkValueType(undefined, 'type')).toBeUndefined();
    for (const bad of ['Account', [Account, Savings], [], {}, () => 1]) {
      expect(() => checkValueType(bad, 'type of getOrSet()')).toThrow(CacheOptionsError);
    }
  });
});
