import { createParamDecorator, Next, Query, Res, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isStorableResponse, respondsItself } from '../../lib/http/handler-response.js';

const User = createParamDecorator(() => 'ann');

class Handlers {
  own(@Res() _response: unknown) {}
  passthrough(@Res({ passthrough: true }) _response: unknown) {}
  next(@Query('q') _q: string, @Next() _next: unknown) {}
  plain(@Query('q') _q: string, @User() _user: string) {}
  none() {}
}

class Inherited extends Handlers {}

const handler = (name: keyof Handlers) => Handlers.prototype[name];

describe('respondsItself', () => {
  it('is true for a handler taking @Res() or @Next()', () => {
    expect(respondsItself(Handlers, handler('own'))).toBe(true);
    expect(respondsItself(Handlers, handler('next'))).toBe(true);
  });

  it('is false with @Res({ passthrough: true }), other parameters or none', () => {
    expect(respondsItself(Handlers, handler('passthrough'))).toBe(false);
    expect(respondsItself(Handlers, handler('plain'))).toBe(false);
    expect(respondsItself(Handlers, handler('none'))).toBe(false);
  });

  it('reads a handler inherited from a base controller', () => {
    expect(respondsItself(Inherited, handler('own'))).toBe(true);
    expect(respondsItself(Inherited, handler('passthrough'))).toBe(false);
  });
});

describe('isStorableResponse', () => {
  it('keeps data, Buffers included', () => {
    for (const value of [{ a: 1 }, [1], 'text', 0, false, Buffer.from('x')]) {
      expect(isStorableResponse(value)).toBe(true);
    }
  });

  it('leaves out nothing and streams', () => {
    async function* generate() {
      yield 'x';
    }
    const unstorable = [
      undefined,
      null,
      new StreamableFile(Buffer.from('x')),
      Readable.from(['x']),
      generate(),
      new Response('x'),
    ];
    for (const value of unstorable) expect(isStorableResponse(value)).toBe(false);
  });
});
