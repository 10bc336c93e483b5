import { hash } from 'node:crypto';

/** One server as the ring sees it. */
export interface KetamaServer {
  /** What its points are named after: `host:port`, or `host` alone when the port is 11211. */
  label: string;
  /** A whole number ≥ 1; shares are proportional to it. */
  weight: number;
}

/** Points per server at equal weight: 40 MD5 digests × 4 points each. */
export const KETAMA_POINTS_PER_SERVER = 160;
const POINTS_PER_DIGEST = 4;
/** libmemcached and twemproxy leave the port out of point names when it is memcached's default. */
export const KETAMA_DEFAULT_PORT = 11211;

/** The name a server's points are derived from, as libmemcached and twemproxy spell it. */
export function ketamaLabel(host: string, port: number): string {
  return port === KETAMA_DEFAULT_PORT ? host : `${host}:${port}`;
}

/** Where a key (its UTF-8 bytes, exactly as memcached receives them) falls on the ring. */
export function ketamaHash(key: string): number {
  return md5(key).readUInt32LE(0);
}

/** One-shot `crypto.hash` (Node ≥ 20.12): about twice as fast as `createHash` on short keys. */
function md5(text: string): Buffer {
  return hash('md5', text, 'buffer');
}

/**
 * How many points a server gets, computed as libmemcached (`KETAMA_WEIGHTED`) and twemproxy do it,
 * in 32-bit floats: `floorf(weight / total × 160 / 4 × servers) × 4`. At equal weights that is
 * 160, except for pool sizes where float rounding lands just below 40 (25 servers: 156); the same
 * formula in 64-bit floats differs at other sizes (7 servers), so the precision matters.
 */
export function ketamaPointCount(weight: number, totalWeight: number, servers: number): number {
  const f = Math.fround;
  const share = f(f(weight) / f(totalWeight));
  const digests = f(f(f(share * KETAMA_POINTS_PER_SERVER) / POINTS_PER_DIGEST) * f(servers));
  return Math.floor(f(digests + 1e-10)) * POINTS_PER_DIGEST;
}

/**
 * A ketama continuum (libmemcached `MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED`, twemproxy
 * `distribution: ketama` with `hash: md5`): each server's points are the four little-endian 32-bit
 * words of MD5(`label-i`) for i = 0, 1, …; a key belongs to the first point at or after the first
 * little-endian word of MD5(key), wrapping around to the first point.
 */
export class KetamaRing {
  /** Point values, ascending. */
  private readonly points: Uint32Array;
  /** `owners[i]`: index, in the servers given, of the server that owns `points[i]`. */
  private readonly owners: Uint32Array;
  /** The one member, when there is one (the others ejected): every key is its own, unhashed. */
  private readonly soleOwner?: number;

  /**
   * @param servers every server of the pool, in configuration order
   * @param members which of them take part (by index); all of them by default
   */
  constructor(servers: readonly KetamaServer[], members?: readonly number[]) {
    const included = members ?? servers.map((_, i) => i);
    if (included.length === 0) throw new Error('A ketama ring needs at least one server.');
    const totalWeight = included.reduce((sum, i) => sum + servers[i].weight, 0);
    const entries: { value: number; owner: number }[] = [];
    for (const owner of included) {
      const { label, weight } = servers[owner];
      const count = ketamaPointCount(weight, totalWeight, included.length);
      for (let d = 0; d < count / POINTS_PER_DIGEST; d++) {
        const digest = md5(`${label}-${d}`);
        for (let w = 0; w < POINTS_PER_DIGEST; w++) {
          entries.push({ value: digest.readUInt32LE(w * 4), owner });
        }
      }
    }
    // Equal points (rare: 32-bit values) are ordered by server, so every process agrees.
    entries.sort((a, b) => a.value - b.value || a.owner - b.owner);
    this.points = Uint32Array.from(entries, (entry) => entry.value);
    this.owners = Uint32Array.from(entries, (entry) => entry.owner);
    if (included.length === 1) this.soleOwner = included[0];
  }

  /** How many points each server has, by server index (0 for a server not on this ring). */
  pointsPerServer(serverCount: number): number[] {
    const counts = new Array<number>(serverCount).fill(0);
    for (const owner of this.owners) counts[owner]++;
    return counts;
  }

  /** Index of the server that holds `key`. */
  serverFor(key: string): number {
    return this.soleOwner ?? this.ownerOf(ketamaHash(key));
  }

  /** Index of the server owning the first point ≥ `hash`, wrapping to the first point. */
  ownerOf(hash: number): number {
    const { points } = this;
    let low = 0;
    let high = points.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (points[middle] < hash) low = middle + 1;
      else high = middle;
    }
    return this.owners[low === points.length ? 0 : low];
  }
}
