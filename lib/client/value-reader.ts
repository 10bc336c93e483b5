import { CacheOptionsError } from '../errors.js';
import type { GetOptions } from '../interfaces/cache-client.interface.js';
import type { DecodedMemo } from '../serialization/decoded-memo.js';
import type { DecodedValue } from '../serialization/decoded-value.js';
import type { DecodedEntry, EntryCodec } from '../serialization/entry-codec.js';
import { shapeDecoded } from '../serialization/shape-value.js';
import { checkValueType, sameType, type ValueType } from '../serialization/value-type.js';

/** How a read hands out a value: `type` and `clone` of the decorator or of the call. */
export interface ReadPolicy {
  /** Restore instances of this class (`[User]`: an array of them). */
  type?: ValueType;
  /** `false`: the cached object itself, deep-frozen; `undefined`: the cache's `clone` setting. */
  clone?: boolean;
}

/** A read that says nothing: no `type`, the cache's `clone`. */
export const AS_CONFIGURED: ReadPolicy = {};

/** What a single-flight run ended with, for the callers that joined it. */
export interface Outcome {
  value: unknown;
  /** How the value was found: `undefined` for a hit. */
  result?: 'miss' | 'stale';
  /** For a hit: answered by L1, or by the store (`l2`). */
  tier?: 'l1' | 'l2';
  /** The entry's text: each joiner decodes its own copy. `null`: the value cannot be encoded. */
  stored?: string | null;
  /** The entry decoded once (an L1 entry): each joiner reads its own copy from it. */
  entry?: DecodedValue;
  /** Without a memo, the frozen value handed to every joiner with `clone: false`. */
  frozen?: { type: ValueType | undefined; value: unknown };
}

/**
 * Hands values out as each read asks: a fresh copy by default, so a caller may mutate what it
 * gets without changing the cache or what anyone else holds; instances of `type`; with
 * `clone: false`, the stored value deep-frozen (the same object on every hit when a memo holds it).
 */
export class ValueReader {
  /**
   * @param memo On the in-process store: decoded entries, copied out on each hit instead of
   *   parsed again.
   * @param clone The cache's `clone` setting, for reads that do not say.
   */
  constructor(
    private readonly codec: EntryCodec,
    private readonly memo: DecodedMemo | undefined,
    private readonly clone: boolean,
    private readonly report: (operation: string, error: unknown) => void,
  ) {}

  /** Throws for a corrupt entry, or one that does not hold the data of `type`. */
  decode(stored: string, policy: ReadPolicy): DecodedEntry {
    const clone = policy.clone ?? this.clone;
    if (this.memo) return this.memo.decode(stored, policy.type, clone);
    const entry = this.codec.decode(stored);
    if (clone && policy.type === undefined) return entry;
    return { value: shapeDecoded(entry.value, policy.type, clone), tags: entry.tags };
  }

  /**
   * The value of an entry already decoded in memory that needs no check (no tags, no stamp), as
   * `policy` asks; `undefined` otherwise (no memo, or the text is not held decoded).
   */
  settled(stored: string, policy: ReadPolicy): unknown {
    return this.memo?.settled(stored, policy.type, policy.clone ?? this.clone);
  }

  /**
   * What a caller that joined a flight gets: its own copy decoded from the entry's text (encoded
   * now if the value was not stored, e.g. `unless` said no). A value that cannot be encoded at all
   * is handed out as it is. With `clone: false`, one frozen value for all of them.
   */
  copyFor(outcome: Outcome, policy: ReadPolicy): unknown {
    if (outcome.value === undefined) return undefined;
    if (outcome.entry) return this.readEntry(outcome, outcome.entry, policy);
    if (outcome.stored === undefined) outcome.stored = this.encodeForCopies(outcome.value, policy);
    if (outcome.stored === null) return outcome.value;
    const shared = !this.memo && !(policy.clone ?? this.clone);
    if (shared && outcome.frozen && sameType(outcome.frozen.type, policy.type)) {
      return outcome.frozen.value;
    }
    let value;
    try {
      value = this.decode(outcome.stored, policy).value;
    } catch (error) {
      this.report('decode a copy for a joining caller', error);
      return outcome.value;
    }
    if (shared && Object.isFrozen(value)) outcome.frozen = { type: policy.type, value };
    return value;
  }

  private readEntry(outcome: Outcome, entry: DecodedValue, policy: ReadPolicy): unknown {
    try {
      return entry.read(policy.type, policy.clone ?? this.clone);
    } catch (error) {
      this.report('decode a copy for a joining caller', error);
      return outcome.value;
    }
  }

  /** Forgets every decoded value held in process. */
  forget(): void {
    this.memo?.clear();
  }

  private encodeForCopies(value: unknown, policy: ReadPolicy): string | null {
    try {
      return this.codec.wrap(this.codec.serialize(value, policy.type));
    } catch {
      return null;
    }
  }
}

/** `type` and `clone` of a call's options, checked; the error names the option. */
export function readPolicy(options: GetOptions, where: string): ReadPolicy {
  const { type, clone } = options;
  if (clone !== undefined && typeof clone !== 'boolean') {
    throw new CacheOptionsError(`clone of ${where}`, clone, 'Use true or false.');
  }
  return { type: checkValueType(type, `type of ${where}`), clone };
}
