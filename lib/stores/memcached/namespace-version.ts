import { randomBytes } from 'node:crypto';

/** The version key on the server, as the store reaches it. */
export interface NamespaceVersionIo {
  read(): Promise<string | undefined>;
  /** Stores `version` only when no version exists (memcached `add`); `false` when one did. */
  create(version: string): Promise<boolean>;
  /** Stores `version` whatever was there (memcached `set`). */
  replace(version: string): Promise<void>;
}

/** What a version looks like: it is part of every physical key, so short and without `:`. */
const VERSION_PATTERN = /^[\w-]{1,40}$/;
const CREATE_ATTEMPTS = 3;

/**
 * A new version: random, never a counter, so a version key lost to eviction or a restart is
 * re-created with a value no earlier entry was written under (nothing cleared comes back).
 */
export function newNamespaceVersion(): string {
  return randomBytes(6).toString('base64url');
}

/**
 * The namespace version every physical key of one prefix carries, so that `clear()` is a single
 * write: a new version makes every older key unreachable, and memcached evicts or expires those.
 * Read from the server at most once per `refreshMs` (one read shared by concurrent callers); the
 * process that bumps it sees the new version at once, other processes within `refreshMs`.
 */
export class NamespaceVersion {
  private version?: string;
  private readAt = 0;
  private inFlight?: Promise<string>;
  /** Counts bumps, so that a read begun before a bump never overwrites the bumped version. */
  private bumps = 0;

  constructor(
    private readonly io: NamespaceVersionIo,
    private readonly refreshMs: number,
  ) {}

  /** The version now: from memory while fresh, otherwise from the server. */
  current(): string | Promise<string> {
    if (this.version !== undefined && Date.now() - this.readAt < this.refreshMs)
      return this.version;
    this.inFlight ??= this.refresh().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Writes a new version: everything stored under the old one is gone for every process. */
  async bump(): Promise<void> {
    const next = newNamespaceVersion();
    await this.io.replace(next);
    this.bumps++;
    this.adopt(next);
  }

  /**
   * When the server cannot be read, the last known version stays in use (no process can bump it
   * meanwhile: that write would fail too) and the next read waits another `refreshMs`.
   */
  private async refresh(): Promise<string> {
    const bumps = this.bumps;
    try {
      const version = await this.readOrCreate();
      return bumps === this.bumps ? this.adopt(version) : (this.version ?? version);
    } catch (error) {
      if (this.version === undefined) throw error;
      this.readAt = Date.now();
      return this.version;
    }
  }

  /** The stored version; a missing one is created with `add`, so racing processes agree. */
  private async readOrCreate(): Promise<string> {
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      const stored = await this.io.read();
      if (stored !== undefined && VERSION_PATTERN.test(stored)) return stored;
      const fresh = newNamespaceVersion();
      if (stored !== undefined) {
        // Not a version this store wrote: start a new namespace rather than trust it.
        await this.io.replace(fresh);
        return fresh;
      }
      if (await this.io.create(fresh)) return fresh;
    }
    throw new Error('The memcached namespace version key kept disappearing while being created.');
  }

  private adopt(version: string): string {
    this.version = version;
    this.readAt = Date.now();
    return version;
  }
}
