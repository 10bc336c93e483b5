import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '../app-config.js';
import { recordDbQuery } from '../request-context/request-context.js';

export type Connection = Database.Database;

/**
 * The SQLite connection. Every query goes through `query`, which waits the configured artificial
 * latency (so cache hits are visible) and counts the query, in total and for the current request.
 */
@Injectable()
export class DatabaseService implements OnApplicationShutdown {
  private readonly connection: Connection;
  private readonly latencyMs: number;
  private queries = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.connection = new Database(config.dbPath, { timeout: 5000 });
    if (config.dbPath !== ':memory:') this.connection.pragma('journal_mode = WAL');
    this.latencyMs = config.dbLatencyMs;
  }

  /** Queries made since start. */
  get queryCount(): number {
    return this.queries;
  }

  async query<T>(run: (connection: Connection) => T): Promise<T> {
    this.queries += 1;
    recordDbQuery();
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    return run(this.connection);
  }

  /** Runs without latency or counting: schema and seed at startup. */
  setup(run: (connection: Connection) => void): void {
    this.connection.transaction(run)(this.connection);
  }

  onApplicationShutdown(): void {
    this.connection.close();
  }
}
