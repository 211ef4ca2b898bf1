import { fileURLToPath } from 'node:url';

import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import { defineConfig } from 'vitest/config';

const domainSource = fileURLToPath(new URL('../libs/domain/src/index.ts', import.meta.url));

/** The API the dev server forwards to; `npm start` at the repository root serves it on port 8080. */
const apiTarget = process.env['ECTS_DEV_API'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [
    vue(),
    // Element Plus components and their styles are imported where a template uses them, so the bundle
    // carries only the components the SPA renders.
    Components({
      dts: 'src/components.d.ts',
      resolvers: [ElementPlusResolver({ importStyle: 'css' })],
    }),
  ],
  resolve: {
    // The workspace library is CommonJS once built; its TypeScript source bundles and tree-shakes better.
    alias: { '@ects/domain': domainSource },
  },
  optimizeDeps: {
    // Listed up front, so the dev server does not discover them on the first page load and reload it.
    // NOTE: the per-component Element Plus styles are still found one page at a time; a glob such as
    // element-plus/es/components/*/style/css did not match them with Vite 8.4.1.
    include: [
      'element-plus/es',
      'echarts/core',
      'echarts/charts',
      'echarts/components',
      'echarts/renderers',
      'vue-echarts',
      '@xterm/xterm',
      '@xterm/addon-fit',
      'socket.io-client',
      'openapi-fetch',
    ],
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: apiTarget, changeOrigin: true },
      '/socket.io': { target: apiTarget, ws: true, changeOrigin: true },
    },
  },
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
});
