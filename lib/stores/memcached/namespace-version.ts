import type { ServerItem } from './server-commands.js';
import { isNewer, newestVersion, parseVersion, versionAfter } from './version-order.js';

/** The version key on each server of the pool, as the store reaches it. */
export interface NamespaceVersionIo {
  /** How many servers the pool has. */
  readonly servers: number;
  /** What server `server` holds under the version key; rejects when it cannot be reached. */
  read(server: number): Promise<ServerItem>;
  /** Stores `version` on `server` if it still holds `seen`; `false` when that changed meanwhile. */
  write(server: number, version: string, seen: ServerItem): Promise<boolean>;
  /** Told when a `clear()` took effect but some servers could not be written. */
  partialFailure(operation: string, error: unknown): void;
}

export interface NamespaceVersionTiming {
  /** How long a version read from the servers is used before reading again. */
  refreshMs: number;
  /** After `refreshMs`, how much longer the known version serves while a new read is under way. */
  graceMs: number;
}

/** What one server answered: its item, or the failure reaching it. */
type Reading = { server: number; item: ServerItem } | { server: number; error: unknown };

/** Read-and-write rounds before giving up while other processes keep changing the version key. */
const ATTEMPTS = 5;

/**
 * The namespace version every physical key of one prefix carries, so that `clear()` is a single
 * write: a newer version makes every older key unreachable, and memcached evicts or expires those.
 *
 * The version is kept on EVERY server of the pool, so no one server's arrival, loss or return
 * resets the prefix. A reader asks every server and takes the newest version any of them (or this
 * process, from an earlier read) holds; servers that lack it or hold an older one are re-seeded
 * with it, each write conditional on what the server held (`add`, or `set` with its CAS), so a
 * server's version only ever moves forward. "Newest" is ordered by a counter, never a clock.
 * `clear()` writes counter + 1 of the newest it reads to every server it reaches: it takes effect
 * (resolves) once at least one server stored it, and rejects when none did.
 *
 * Guarantee: no process uses an older version while a server holding the newest one, or a running
 * process that has read it, is reachable. Edge case: if every server holding the newest version is
 * lost (restarted empty or unreachable) and no running process has read it, readers fall back to
 * the newest that remains, and entries written under that one before the lost `clear()` can be
 * read again until they expire.
 *
 * Read from the servers at most once per `refreshMs`; the read runs in the background for another
 * `graceMs` (so a slow server never holds up the hot path), then callers wait for it. A process
 * sees its own `clear()` at once, other processes' within `refreshMs` plus one read.
 */
export class NamespaceVersion {
  private version?: string;
  private readAt = -Infinity;
  private inFlight?: Promise<string>;

  constructor(
    private readonly io: NamespaceVersionIo,
    private readonly timing: NamespaceVersionTiming,
  ) {}

  /** The version last read or written, without reading it again (`undefined` before the first). */
  get known(): string | undefined {
    return this.version;
  }

  /** The version now: from memory while fresh, otherwise from the servers. */
  current(): string | Promise<string> {
    const age = Date.now() - this.readAt;
    const { refreshMs, graceMs } = this.timing;
    if (this.version !== undefined && age < refreshMs) return this.version;
    this.inFlight ??= this.refresh().finally(() => (this.inFlight = undefined));
    if (this.version !== undefined && age < refreshMs + graceMs) return this.version;
    return this.inFlight;
  }

  /** Another process changed the version (heard on the bus): the next command reads it first. */
  forget(): void {
    this.readAt = -Infinity;
  }

  /**
   * Writes a version newer than any a reachable server or this process holds, to every server:
   * everything stored under older versions is gone for every process. Rejects when no server
   * stored it; some servers failing is reported, and they are re-seeded by readers once back.
   */
  async bump(): Promise<void> {
    try {
      this.adopt(await this.writeNewer());
    } catch (error) {
      // A write that timed out may have landed all the same: read the servers again soon.
      this.readAt = Math.min(this.readAt, Date.now() - this.timing.refreshMs);
      throw error;
    }
  }

  private async writeNewer(): Promise<string> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const readings = await this.readAll();
      const next = versionAfter(this.newest(readings));
      const written = await this.writeAll(readings, next);
      if (written.changed) continue;
      if (written.stored === 0) throw written.errors[0];
      if (written.errors.length > 0) this.io.partialFailure('clear', written.errors[0]);
      return next;
    }
    throw new Error(
      'The memcached namespace version kept changing during clear(): it was not cleared.',
    );
  }

  /**
   * When no server can be read, the last known version stays in use (a `clear()` meanwhile could
   * not be written either) and the next read waits another `refreshMs`.
   */
  private async refresh(): Promise<string> {
    try {
      return this.adopt(await this.agree());
    } catch (error) {
      if (this.version === undefined) throw error;
      this.readAt = Date.now();
      return this.version;
    }
  }

  /**
   * The newest version, stored on every server that can be reached. None anywhere (a new prefix):
   * one is created with `add` on every server; concurrent creators then all settle on the newest
   * of what got stored. A value this store never writes starts a new namespace above it.
   */
  private async agree(): Promise<string> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const readings = await this.readAll();
      const known = this.newest(readings);
      const fresh = known === undefined || readings.some(holdsForeignValue);
      const target = fresh ? versionAfter(known) : known;
      const behind = readings.filter(
        (reading) => 'item' in reading && reading.item.value !== target,
      );
      if (behind.length === 0) return target;
      const written = await this.writeAll(behind, target);
      if (written.changed) continue;
      if (fresh && written.stored === 0) throw written.errors[0];
      return target;
    }
    throw new Error('The memcached namespace version kept changing while being read.');
  }

  /** Every server's item; rejects only when no server answers. */
  private async readAll(): Promise<Reading[]> {
    const servers = Array.from({ length: this.io.servers }, (_, server) => server);
    const settled = await Promise.allSettled(servers.map((server) => this.io.read(server)));
    const readings = settled.map((result, server): Reading =>
      result.status === 'fulfilled'
        ? { server, item: result.value }
        : { server, error: result.reason },
    );
    const failed = readings.filter((reading) => 'error' in reading);
    if (failed.length === readings.length) throw failed[0].error;
    return readings;
  }

  /** Writes `version` to each server read; `changed` when one no longer held what was read. */
  private async writeAll(readings: readonly Reading[], version: string) {
    const reachable = readings.filter((reading) => 'item' in reading);
    const settled = await Promise.allSettled(
      reachable.map(({ server, item }) => this.io.write(server, version, item)),
    );
    const errors = readings.flatMap((reading) => ('error' in reading ? [reading.error] : []));
    let [stored, changed] = [0, false];
    for (const result of settled) {
      if (result.status === 'rejected') errors.push(result.reason);
      else if (result.value) stored++;
      else changed = true;
    }
    return { stored, changed, errors };
  }

  /** The newest valid version a server holds or this process knows. */
  private newest(readings: readonly Reading[]): string | undefined {
    const held = readings.flatMap((reading) =>
      'item' in reading && reading.item.value !== undefined && parseVersion(reading.item.value)
        ? [reading.item.value]
        : [],
    );
    if (this.version !== undefined) held.push(this.version);
    return newestVersion(held);
  }

  /** Never moves back: a read that began before this process's own `clear()` cannot undo it. */
  private adopt(version: string): string {
    if (this.version === undefined || isNewer(version, this.version)) this.version = version;
    this.readAt = Date.now();
    return this.version;
  }
}

function holdsForeignValue(reading: Reading): boolean {
  if (!('item' in reading)) return false;
  const { value } = reading.item;
  return value !== undefined && parseVersion(value) === undefined;
}
