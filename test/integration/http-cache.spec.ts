import { describe } from 'vitest';
import { memoryBackend, redisBackend } from '../support/backends.js';
import { describeHttpCache } from '../support/http-cache-behaviour.js';

const memory = memoryBackend;

const redis = redisBackend;

describe('HTTP response caching', () => {
  describeHttpCache(memory);
  describeHttpCache(redis);
});
