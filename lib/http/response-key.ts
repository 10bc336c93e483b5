import type { ExecutionContext } from '@nestjs/common';
import type { CacheVaryPart } from '../interfaces/http-cache.interface.js';

type RequestWithHeaders = { headers?: Record<string, string | string[] | undefined> };

/**
 * `key` followed by one `|part` per vary part: `name=value` for a header, the value alone for a
 * function. Values are URI-encoded, so no value can pass for another part.
 */
export function varyKey(
  key: string,
  parts: readonly CacheVaryPart[],
  context: ExecutionContext,
): string {
  if (parts.length === 0) return key;
  const request = context.switchToHttp().getRequest<RequestWithHeaders>();
  let varied = key;
  for (const part of parts) {
    varied +=
      typeof part === 'function'
        ? `|${encodeURIComponent(String(part(context) ?? ''))}`
        : `|${part}=${encodeURIComponent(headerOf(request, part))}`;
  }
  return varied;
}

/** Header names as Node (and every Nest platform) keys them: lower case. */
export function normalizeVary(parts: readonly CacheVaryPart[]): readonly CacheVaryPart[] {
  return parts.map((part) => (typeof part === 'string' ? part.toLowerCase() : part));
}

function headerOf(request: RequestWithHeaders, name: string): string {
  const value = request.headers?.[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}
