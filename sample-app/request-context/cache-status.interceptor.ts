import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { tap, type Observable } from 'rxjs';
import { requestContext } from './request-context.js';

/**
 * Sets `X-Cache` to how the request's cached service calls found their values (`HIT`, `STALE`,
 * or `MISS` when one of them loaded), as the package reported them, and `X-DB-Queries` to the
 * number of database queries. Apply it to read routes served by `@Cacheable` methods.
 */
@Injectable()
export class CacheStatusInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<ServerResponse>();
    const request = requestContext.getStore();
    return next.handle().pipe(
      tap(() => {
        if (!request) return;
        if (request.cache) response.setHeader('X-Cache', request.cache);
        response.setHeader('X-DB-Queries', String(request.dbQueries));
      }),
    );
  }
}
