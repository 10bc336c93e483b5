/**
 * What one app server tells the others to drop from their L1: never values, only which entries.
 * One message may carry several kinds at once (a queue flushed after an outage merges into one).
 */
export interface Invalidation {
  /** Keys (logical, unprefixed) whose L1 copies are stale. */
  keys?: string[];
  /** Tags invalidated: every L1 entry carrying one is stale. */
  tags?: string[];
  /** The whole cache was cleared (or messages were lost): drop every L1 entry. */
  clear?: boolean;
}

/** A message as received: the invalidation and the bus that sent it. */
export interface ReceivedInvalidation extends Invalidation {
  from: string;
}

/**
 * The wire format's version. A message of a newer version (an app server running a later release)
 * cannot be read, but may name any entry: it is taken as a `clear`. Anything else is ignored.
 */
export const BUS_WIRE_VERSION = 1;

/**
 * JSON with one-letter fields, empty ones left out: `{"v":1,"f":sender,"k":[…],"t":[…],"c":1}`.
 * JSON because keys are arbitrary strings and every Redis client in any language can read it.
 */
interface WireMessage {
  v: number;
  f: string;
  k?: string[];
  t?: string[];
  c?: 1;
}

export function encodeInvalidation(from: string, { keys, tags, clear }: Invalidation): string {
  const wire: WireMessage = { v: BUS_WIRE_VERSION, f: from };
  if (keys?.length) wire.k = keys;
  if (tags?.length) wire.t = tags;
  if (clear) wire.c = 1;
  return JSON.stringify(wire);
}

/** The message (a newer version's as a `clear`), or `undefined` for garbage or a foreign format. */
export function decodeInvalidation(text: string): ReceivedInvalidation | undefined {
  let wire: unknown;
  try {
    wire = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (isNewerVersion(wire)) return { from: wire.f, clear: true };
  if (!isWireMessage(wire)) return undefined;
  const message: ReceivedInvalidation = { from: wire.f };
  if (wire.k) message.keys = wire.k;
  if (wire.t) message.tags = wire.t;
  if (wire.c === 1) message.clear = true;
  return message;
}

function isWireMessage(value: unknown): value is WireMessage {
  if (typeof value !== 'object' || value === null) return false;
  const wire = value as Record<string, unknown>;
  return (
    wire.v === BUS_WIRE_VERSION &&
    typeof wire.f === 'string' &&
    isOptionalStrings(wire.k) &&
    isOptionalStrings(wire.t) &&
    (wire.c === undefined || wire.c === 1)
  );
}

function isNewerVersion(value: unknown): value is { f: string } {
  const wire = value as Record<string, unknown> | null;
  return (
    typeof wire?.v === 'number' &&
    Number.isInteger(wire.v) &&
    wire.v > BUS_WIRE_VERSION &&
    typeof wire.f === 'string'
  );
}

function isOptionalStrings(value: unknown): boolean {
  return value === undefined || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
}

/** Whether `invalidation` asks for nothing (publishing it would be a wasted message). */
export function isEmptyInvalidation({ keys, tags, clear }: Invalidation): boolean {
  return !clear && !keys?.length && !tags?.length;
}
