import { AsyncLocalStorage } from 'node:async_hooks';

/** What the app learns about one HTTP request while serving it. */
export interface RequestContext {
  /** Database queries made on behalf of this request. */
  dbQueries: number;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

/** Counts one database query against the current request, if there is one. */
export function recordDbQuery(): void {
  const context = requestContext.getStore();
  if (context) context.dbQueries += 1;
}
