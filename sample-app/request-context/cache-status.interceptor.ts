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
 * Sets `X-Cache: HIT` when the handler answered without querying the database, `MISS` when it
 * did, and `X-DB-Queries` to the number of queries. Apply it to cached read routes.
 */
@Injectable()
export class CacheStatusInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<ServerResponse>();
    const request = requestContext.getStore();
    return next.handle().pipe(
      tap(() => {
        if (!request) return;
        response.setHeader('X-Cache', request.dbQueries === 0 ? 'HIT' : 'MISS');
        response.setHeader('X-DB-Queries', String(request.dbQueries));
      }),
    );
  }
}
