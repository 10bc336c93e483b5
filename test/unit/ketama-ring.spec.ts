import HashRing from 'hashring';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateOptions } from '../../lib/options/validate-options.js';
import {
  KetamaRing,
  ketamaHash,
  ketamaLabel,
  ketamaPointCount,
  type KetamaServer,
} from '../../lib/stores/memcached/ketama-ring.js';
import { parseServerAddress } from '../../lib/stores/memcached/server-address.js';
import { KetamaServerSelector } from '../../lib/stores/memcached/server-selection.js';

const KEYS = Array.from({ length: 10_000 }, (_, i) => `cache:Xy3kQ2:user:${i}`);

/** Ring members from `memcached.servers` entries, as the store builds them. */
function members(addresses: readonly string[]): KetamaServer[] {
  return addresses.map((address) => {
    const { host, port, weight } = parseServerAddress(address)!;
    return { label: ketamaLabel(host, port), weight };
  });
}

/** `hashring` (an independent ketama implementation), told that port 11211 is left out of names. */
function oracle(addresses: readonly string[]): HashRing {
  const weights: Record<string, { weight: number }> = {};
  for (const address of addresses) {
    const { host, port, weight } = parseServerAddress(address)!;
    weights[`${host}:${port}`] = { weight };
  }
  return new HashRing(weights, 'md5', { 'default port': 11211 });
}

function placements(ring: KetamaRing, keys: readonly string[]): number[] {
  return keys.map((key) => ring.serverFor(key));
}

function shares(placed: readonly number[], servers: number): number[] {
  const counts = new Array<number>(servers).fill(0);
  for (const index of placed) counts[index]++;
  return counts.map((count) => count / placed.length);
}

/**
 * Where libmemcached 1.0.18 put `key:0` … `key:299` (one character per key: the server's index in
 * base 36), read back from real servers with `lru_crawler metadump`. Recorded with python3-pylibmc
 * (`pylibmc.Client(addresses, binary=True, behaviors={'ketama_weighted': True, 'hash': 'md5'})`,
 * one `set` per key) on servers at 127.0.0.1:41001 and up.
 */
const LIBMEMCACHED = {
  seven: {
    servers: Array.from({ length: 7 }, (_, i) => `127.0.0.1:${41001 + i}`),
    placed:
      '464126325251504346003542341532414621632235620646526363435032466145552013565130056211023521' +
      '550302205534354013505423415450135646414260113415154514455054034134342060413121632435561355' +
      '525550254600566553510262321430324000204363014350640023253421611160352464405244333665243530' +
      '633130142332063565031401560524',
  },
  twentyFive: {
    servers: Array.from({ length: 25 }, (_, i) => `127.0.0.1:${41001 + i}`),
    placed:
      'co4g8kjn8271ngd3d6883m4gn4nd3lk14idn63fj85nbbe4l5j6jaikf50324ik1n55ih01k7fgdj0jahea107o5gk' +
      '5hfk02iggi3f354079m05j2ii154kfee5hag474jm0fb3f15h5e58jj5do740j4dk43n20lfbei181mbicij5m137i' +
      'c8i55j79odfa5ihno8a10267o8e89d3g4m00ce4jl3doenbg647cohhj3jghako16bj52fbd4c5e4fi3dg67foe5h0' +
      'ii79dndj2ig2g6if650odkb1o6ch2k',
  },
  weighted: {
    servers: ['127.0.0.1:41001', '127.0.0.1:41002:2', '127.0.0.1:41003:3', '127.0.0.1:41004'],
    placed:
      '222120123201222321013302111212012221032101220013222002112032102132222021121130031211222221' +
      '211122222232322012300221211120110220122230112211203213321300032113122020213121212112221101' +
      '121320210200222120213202221220322010203332112312330023211221011120022212302223210002213231' +
      '211123132332213231032222010123',
  },
};

describe('ketama ring', () => {
  it('gives every key to the only member of a ring of one, whatever its index in the pool', () => {
    const servers = members(['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211']);
    expect(new Set(placements(new KetamaRing(servers.slice(0, 1)), KEYS))).toEqual(new Set([0]));
    expect(new Set(placements(new KetamaRing(servers, [2]), KEYS))).toEqual(new Set([2]));
  });

  describe('compatibility', () => {
    it.each([
      [
        'three servers, one on the default port 11211',
        ['10.0.0.1:11211', '10.0.0.2:11212', '10.0.0.3:21211'],
      ],
      ['four servers', ['cache-a:11211', 'cache-b:11211', 'cache-c:11211', 'cache-d:11211']],
      [
        'weighted servers 1:2:3:4',
        ['10.0.0.1:7001:1', '10.0.0.2:7002:2', '10.0.0.3:7003:3', '10.0.0.4:7004:4'],
      ],
    ])('places 10,000 keys exactly where hashring does: %s', (_, addresses) => {
      const ring = new KetamaRing(members(addresses));
      const reference = oracle(addresses);
      const expected = KEYS.map((key) => {
        const owner = reference.get(key);
        return addresses.findIndex((address) => address.startsWith(`${owner}`));
      });
      const agreeing = placements(ring, KEYS).filter((index, i) => index === expected[i]).length;
      expect(agreeing).toBe(KEYS.length);
    });

    it.each(Object.entries(LIBMEMCACHED))(
      'places keys exactly where libmemcached (KETAMA_WEIGHTED) did: %s',
      (_, { servers, placed }) => {
        const ring = new KetamaRing(members(servers));
        const keys = Array.from({ length: placed.length }, (__, i) => `key:${i}`);
        const ours = placements(ring, keys)
          .map((index) => index.toString(36))
          .join('');
        expect(ours).toBe(placed);
      },
    );

    it('names points host-i when the port is 11211, host:port-i otherwise', () => {
      expect(ketamaLabel('10.0.0.1', 11211)).toBe('10.0.0.1');
      expect(ketamaLabel('10.0.0.2', 11212)).toBe('10.0.0.2:11212');
      const ring = new KetamaRing(members(['10.0.0.1:11211', '10.0.0.2:11212']));
      // A hash equal to one of a server's points lands on that very point.
      const pointsOf = (label: string) =>
        Array.from({ length: 40 }, (_, i) => ketamaDigestWords(`${label}-${i}`)).flat();
      expect(new Set(pointsOf('10.0.0.1').map((point) => ring.ownerOf(point)))).toEqual(
        new Set([0]),
      );
      expect(new Set(pointsOf('10.0.0.2:11212').map((point) => ring.ownerOf(point)))).toEqual(
        new Set([1]),
      );
      expect(ring.pointsPerServer(2)).toEqual([160, 160]);
    });

    it('hashes a key as the first little-endian 32-bit word of its MD5', () => {
      // MD5('') = d41d8cd98f00b204e9800998ecf8427e
      expect(ketamaHash('')).toBe(0xd98c1dd4);
    });

    it('counts points in 32-bit floats as libmemcached and twemproxy do: 160 per server at equal weight, 156 in a pool of 25', () => {
      expect(ketamaPointCount(1, 3, 3)).toBe(160);
      expect(ketamaPointCount(1, 7, 7)).toBe(160); // 64-bit floats (hashring) give 156 here
      expect(ketamaPointCount(1, 25, 25)).toBe(156); // and 160 here
      expect(ketamaPointCount(2, 4, 3)).toBe(240);
      const ring = new KetamaRing(members(['a:1', 'b:2', 'c:3:2']));
      expect(ring.pointsPerServer(3)).toEqual([120, 120, 240]);
    });
  });

  describe('consistency', () => {
    it('moves about a quarter of the keys when a fourth server joins three, each to the new server', () => {
      const three = ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211'];
      const before = placements(new KetamaRing(members(three)), KEYS);
      const after = placements(new KetamaRing(members([...three, '10.0.0.4:11211'])), KEYS);

      const moved = after.filter((index, i) => index !== before[i]);
      expect(moved.length / KEYS.length).toBeGreaterThan(0.15);
      expect(moved.length / KEYS.length).toBeLessThan(0.35);
      expect(new Set(moved)).toEqual(new Set([3]));
    });

    it('gives each server a share of the keys proportional to its weight', () => {
      const equal = shares(placements(new KetamaRing(members(['a:1', 'b:2', 'c:3'])), KEYS), 3);
      const weighted = shares(
        placements(new KetamaRing(members(['a:1:1', 'b:2:1', 'c:3:2'])), KEYS),
        3,
      );
      // Points are exactly proportional (120, 120, 240); with 160 points per server, each share
      // of the keys lands within several percent of its ideal.
      expect(new KetamaRing(members(['a:1:1', 'b:2:1', 'c:3:2'])).pointsPerServer(3)).toEqual([
        120, 120, 240,
      ]);
      for (const share of equal) expect(share).toBeGreaterThan(0.25);
      for (const share of equal) expect(share).toBeLessThan(0.42);
      expect(weighted[2]).toBeGreaterThan(0.4);
      expect(weighted[2]).toBeLessThan(0.6);
      const doubled = weighted[2] / ((weighted[0] + weighted[1]) / 2);
      expect(doubled).toBeGreaterThan(1.5);
      expect(doubled).toBeLessThan(2.6);
    });

    it("on ejection moves only the ejected server's keys, and puts them back on readmission", () => {
      const servers = members(['a:1', 'b:2', 'c:3']);
      let now = 1_000_000;
      const clock = () => now;
      const selector = new KetamaServerSelector(
        servers,
        { afterFailures: 2, retryAfterMs: 5000 },
        undefined,
        clock,
      );
      const before = KEYS.map((key) => selector.serverFor(key));
      const health = selector.healthOf(1);
      health.failed();
      expect(selector.ejected()).toEqual([]);
      health.failed();
      expect(selector.ejected()).toEqual([1]);

      const during = KEYS.map((key) => selector.serverFor(key));
      during.forEach((index, i) => {
        if (before[i] === 1) expect(index).not.toBe(1);
        else expect(index).toBe(before[i]);
      });
      now += 5000;
      expect(KEYS.map((key) => selector.serverFor(key))).toEqual(before);
      expect(selector.ejected()).toEqual([]);
    });

    it('never ejects a server after a success between failures, or the last server on the ring', () => {
      const servers = members(['a:1', 'b:2']);
      const selector = new KetamaServerSelector(servers, {
        afterFailures: 2,
        retryAfterMs: 60_000,
      });
      const first = selector.healthOf(0);
      first.failed();
      first.succeeded();
      first.failed();
      expect(selector.ejected()).toEqual([]);
      first.failed();
      expect(selector.ejected()).toEqual([0]);
      const second = selector.healthOf(1);
      second.failed();
      second.failed();
      expect(selector.ejected()).toEqual([0]);
    });

    it('never ejects without ejectAfterFailures', () => {
      const selector = new KetamaServerSelector(members(['a:1', 'b:2', 'c:3']));
      for (let i = 0; i < 100; i++) selector.healthOf(0).failed();
      expect(selector.ejected()).toEqual([]);
    });
  });

  describe('memcached.servers', () => {
    it('reads host:port and host:port:weight, IPv6 in brackets', () => {
      expect(parseServerAddress('10.0.0.1:11212')).toMatchObject({
        host: '10.0.0.1',
        port: 11212,
        weight: 1,
      });
      expect(parseServerAddress('cache-a:11211:3')).toMatchObject({
        host: 'cache-a',
        port: 11211,
        weight: 3,
      });
      expect(parseServerAddress('[::1]:11212:2')).toMatchObject({
        host: '::1',
        port: 11212,
        weight: 2,
      });
      expect(parseServerAddress('u:p@h:1')).toBeUndefined();
    });

    it.each([
      ['h:0'],
      ['h:70000'],
      ['h:11211:0'],
      ['h:11211:1.5'],
      ['h:11211:-1'],
      ['h:11211:2:3'],
      ['h'],
      ['u:p@h:1'],
    ])('refuses %s at startup, naming the entry', (server) => {
      expect(() =>
        validateOptions({ store: 'memcached', memcached: { servers: ['ok:11212', server] } }),
      ).toThrow(/"memcached\.servers\[1\]"/);
    });

    it('accepts weights and ejection options, and refuses bad ejection options naming them', () => {
      const servers = ['a:11212', 'b:11213:2'];
      expect(() =>
        validateOptions({
          store: 'memcached',
          memcached: { servers, ejectAfterFailures: 3, retryEjectedAfterMs: 5000 },
        }),
      ).not.toThrow();
      expect(() =>
        validateOptions({ store: 'memcached', memcached: { servers, ejectAfterFailures: 1.5 } }),
      ).toThrow(/"memcached\.ejectAfterFailures"/);
      expect(() =>
        validateOptions({ store: 'memcached', memcached: { servers, retryEjectedAfterMs: 0 } }),
      ).toThrow(/"memcached\.retryEjectedAfterMs"/);
    });
  });
});

/** The four little-endian 32-bit words of MD5(text). */
function ketamaDigestWords(text: string): number[] {
  const digest = createHash('md5').update(text).digest();
  return [0, 4, 8, 12].map((offset) => digest.readUInt32LE(offset));
}
