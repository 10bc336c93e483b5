import { describe } from 'vitest';
import { memoryBackend } from '../support/backends.js';
import { describeCacheClient } from '../support/client-behaviour.js';
import { describeDecorators } from '../support/decorator-behaviour.js';
import { describeHostileInput } from '../support/hostile-behaviour.js';
import { describeRealApps } from '../support/real-app-behaviour.js';
import { describeResilience } from '../support/resilience-behaviour.js';

const memory = memoryBackend;

describe('on the memory store', () => {
  describeCacheClient(memory);
  describeDecorators(memory);
  describeRealApps(memory);
  describeResilience(memory);
  describeHostileInput(memory);
});
