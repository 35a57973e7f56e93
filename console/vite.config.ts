/**
 * Build of the web console: a React single-page app served by `ecsimg serve` at `/console/`.
 * `npm run build` runs it after the server's TypeScript build; the output lands in console/dist.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // antd alone is ~1 MB minified; it is one long-cached vendor chunk, pages load on demand.
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'antd', test: /node_modules[\\/](antd|@ant-design|@rc-component|dayjs)[\\/]/ },
            { name: 'i18n', test: /node_modules[\\/](i18next|react-i18next)[\\/]/ },
          ],
        },
      },
    },
  },
  // `vite` (dev server) proxies the API to a local `ecsimg serve` so the console can be worked on
  // with hot reload: ECSIMG_ENDPOINT=http://127.0.0.1:8080 npx vite --config console/vite.config.ts
  server: {
    proxy: Object.fromEntries(
      ['/api', '/oss', '^/\\?Action='].map((p) => [
        p,
        process.env.ECSIMG_ENDPOINT ?? 'http://127.0.0.1:8080',
      ]),
    ),
  },
});
