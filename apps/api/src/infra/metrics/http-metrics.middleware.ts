import type { NextFunction, Request, RequestHandler, Response } from 'express';

import type { ApiMetrics } from './api-metrics';

/** Route label of requests that matched no route, so unknown paths cannot add series. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * Returns an Express middleware that times every HTTP request and records it under its route
 * pattern (`/api/runs/:id`), never the concrete path, so ids do not multiply the series. Install
 * it before any route, so it times every request.
 */
export function httpMetricsMiddleware(metrics: ApiMetrics): RequestHandler {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();

    response.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequest(request.method, routeOf(request, response.statusCode), response.statusCode, seconds);
    });
    next();
  };
}

/**
 * Returns the pattern of the route that handled the request, from `request.route`, which Express
 * sets on each matching route. Nest mounts middleware such as pino-http as a wildcard route
 * (`/api*path`), so a 404 from a wildcard means that no handler matched.
 */
function routeOf(request: Request, status: number): string {
  const route: unknown = (request as { route?: unknown }).route;
  const path = typeof route === 'object' && route !== null && 'path' in route ? route.path : undefined;
  if (typeof path !== 'string' || (status === 404 && path.includes('*'))) {
    return UNMATCHED_ROUTE;
  }

  return `${request.baseUrl}${path}`;
}
