import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestContext, type RequestContext } from './request-context.js';

type Request = IncomingMessage & { originalUrl?: string };

/** Gives each request its own `RequestContext`, and logs one line when the response is sent. */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware<Request, ServerResponse> {
  private readonly logger = new Logger('HTTP');

  use(request: Request, response: ServerResponse, next: () => void): void {
    const context: RequestContext = { dbQueries: 0 };
    const startedAt = performance.now();
    response.once('finish', () => this.log(request, response, context, startedAt));
    requestContext.run(context, next);
  }

  private log(
    request: Request,
    response: ServerResponse,
    context: RequestContext,
    startedAt: number,
  ): void {
    const cache = response.getHeader('X-Cache') ?? '-';
    const ms = Math.round(performance.now() - startedAt);
    const url = request.originalUrl ?? request.url;
    this.logger.log(
      `${request.method} ${url} ${response.statusCode} cache=${cache} db=${context.dbQueries} ${ms}ms`,
    );
  }
}
