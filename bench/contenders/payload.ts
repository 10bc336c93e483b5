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
  base.bio = 'x'.repeat(Math.max(0, missing));
  return base;
}

/** Keys cycle over this many ids in every hit scenario. */
export const KEY_COUNT = 1000;
