import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { Inject, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ExpressAdapter } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

import { APP_CONFIG, type AppConfig } from '../config/config';

/** Paths the SPA never answers: the REST API, metrics and Socket.IO keep their own 404s. */
const RESERVED_PATH = /^\/(api|metrics|socket\.io)(\/|$)/;

/** A last path segment with a dot names a file, so a missing one is a 404, not the SPA's index.html. */
const FILE_PATH = /\/[^/]*\.[^/]*$/;

/** Vite puts content-hashed file names under assets/, so they never change and may be cached for a year. */
const ASSETS_PATH = /[\\/]assets[\\/]/;

/**
 * Serves the built admin SPA (`ECTS_SPA_DIR`, by default frontend/dist) at `/`. Files come from the
 * directory; any other GET of a page path gets index.html, so the SPA's own router handles deep
 * links such as /runs/<id>. Both handlers are added after the API's routes and before Nest's 404
 * handler, so a route always wins, and an unknown /api path still gets the JSON 404.
 */
@Module({})
export class SpaModule implements OnModuleInit {
  private readonly logger = new Logger(SpaModule.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const directory = this.config.spaDir;
    const indexPath = join(directory, 'index.html');
    if (!existsSync(indexPath)) {
      this.logger.warn(
        `No built SPA at ${directory} (index.html is missing), so / serves no pages; ` +
          'build it with `npx nx run @ects/frontend:build` or set ECTS_SPA_DIR',
      );

      return;
    }

    const adapter = this.adapterHost.httpAdapter as ExpressAdapter;
    adapter.useStaticAssets(directory, {
      index: false,
      fallthrough: true,
      setHeaders: (response: Response, path: string) => {
        response.setHeader(
          'Cache-Control',
          ASSETS_PATH.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
    adapter.use((request: Request, response: Response, next: NextFunction) => {
      const isPage =
        (request.method === 'GET' || request.method === 'HEAD') &&
        !RESERVED_PATH.test(request.path) &&
        !FILE_PATH.test(request.path);
      if (!isPage) {
        next();

        return;
      }

      // index.html names the current asset files, so browsers must check it again on every load.
      response.setHeader('Cache-Control', 'no-cache');
      response.sendFile(indexPath, (error?: Error) => {
        if (error) {
          next(error);
        }
      });
    });
    this.logger.log(`Serving the SPA from ${directory}`);
  }
}
