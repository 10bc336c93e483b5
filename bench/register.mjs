// Lets `node --import ./bench/register.mjs bench/run.ts` run the TypeScript sources directly,
// compiled by swc as the tests are (decorator metadata included, which Nest's injection needs).
import { register } from 'node:module';

register('./swc-hooks.mjs', import.meta.url);
