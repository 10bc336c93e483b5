/** A JSON object of about `bytes` bytes once serialized: a user-like record padded by `bio`. */
export interface Profile {
  id: number;
  name: string;
  email: string;
  active: boolean;
  roles: string[];
  createdAt: string;
  bio: string;
}

export function makeProfile(id: number, bytes = 200): Profile {
  const base: Profile = {
    id,
    name: `User ${id}`,
    email: `user${id}@example.com`,
    active: true,
    roles: ['reader', 'writer'],
    createdAt: '2026-11-26T10:00:00.000Z',
    bio: '',
  };
  const missing = bytes - JSON.stringify(base).length;
  base.bio = prose(Math.max(0, missing), id);
  return base;
}

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which ' +
  'but have an they you were her she there been one all we their has would when if so no what ' +
  'cache server value entry request order customer invoice product price stock shipped'
).split(' ');

/**
 * Text like a user's: words drawn by a fixed pseudo-random sequence (so every run stores the same
 * bytes), with numbers. It compresses about as English does (gzip ~3×), where a run of one letter
 * would flatter compression a hundredfold.
 */
function prose(length: number, seed: number): string {
  let state = (seed * 2654435761 + 1) >>> 0;
  let text = '';
  while (text.length < length) {
    state = (state * 1664525 + 1013904223) >>> 0;
    const word = WORDS[state % WORDS.length];
    text += state % 11 === 0 ? `${word} ${state % 1000} ` : `${word} `;
  }
  return text.slice(0, length);
}

/** Keys cycle over this many ids in every hit scenario. */
export const KEY_COUNT = 1000;
