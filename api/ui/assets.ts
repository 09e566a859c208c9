// The console's static files, read once at start: htmx and its SSE extension from node_modules (pinned in
// package.json, no build step), and the console's own stylesheet and script. Nothing else is served.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const require = createRequire(import.meta.url);

const SOURCES = {
  'htmx.min.js': require.resolve('htmx.org/dist/htmx.min.js'),
  'htmx-ext-sse.js': require.resolve('htmx-ext-sse/dist/sse.min.js'),
  'console.js': new URL('./assets/console.js', import.meta.url),
  'console.css': new URL('./assets/console.css', import.meta.url),
} as const;

const AssetParams = z.object({ file: z.enum(Object.keys(SOURCES) as [keyof typeof SOURCES]) });

export function assetRoutes(): FastifyPluginAsyncZod {
  const files = Object.fromEntries(
    Object.entries(SOURCES).map(([name, source]) => [name, readFileSync(source)]),
  ) as Record<keyof typeof SOURCES, Buffer>;
  return async (app) => {
    app.get(
      '/ui/assets/:file',
      { config: { public: true }, schema: { hide: true, params: AssetParams } },
      async (request, reply) => {
        const { file } = request.params;
        return reply
          .type(file.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8')
          .header('cache-control', 'public, max-age=3600')
          .send(files[file]);
      },
    );
  };
}
