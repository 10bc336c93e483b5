import memjs from 'memjs';
import type { ClosableServer } from './memcached-client.js';
import type { ServerHealth } from './server-selection.js';

/**
 * memjs's own `Server`, unchanged but for `shutdown()` (its public `close()`): what the store
 * connects with when memjs's internals differ from those `MemcachedConnection` relies on.
 */
export class PublicApiServer extends memjs.Server implements ClosableServer {
  /** Never told anything: a failing server is not ejected from the ring in this fallback. */
  health?: ServerHealth;

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  shutdown(): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
