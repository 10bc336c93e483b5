import memjs, { type Client } from 'memjs';

/** Index, in `client.servers`, of the server that holds `key`. */
export type ServerSelector = (key: string, serverCount: number) => number;

/**
 * memjs's own choice: a Java-style string hash modulo the number of servers. Adding or removing
 * a server moves nearly every key to another server (a ketama ring would move about 1/n).
 */
export const moduloServerSelector: ServerSelector = (key, serverCount) =>
  memjs.Utils.hashCode(key) % serverCount;

/**
 * Routes every key of `client` with `selector`. memjs documents `getServer` as the method to
 * override for server selection; its typings declare the wrong return type, hence the assign.
 */
export function useServerSelector(client: Client, selector: ServerSelector): void {
  const serverCount = client.servers.length;
  Object.assign(client, { getServer: (key: string) => selector(key, serverCount) });
}
