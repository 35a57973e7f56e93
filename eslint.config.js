// Lint: typescript-eslint's recommended rules plus the layer boundaries of DESIGN.md —
// api → domain → store/jobs/blobs/formats/builder → config/log; formats imports nothing of ours.
import tseslint from 'typescript-eslint';

const layer = (files, forbidden, why) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: forbidden.map((group) => ({ group: [group], message: why })) },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/', 'console/dist/', 'node_modules/', 'test-output/', 'data/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  layer(
    ['src/formats/**'],
    [
      '**/api/**',
      '**/domain/**',
      '**/store/**',
      '**/jobs/**',
      '**/blobs/**',
      '**/config/**',
      '**/log/**',
      '**/cli/**',
      '**/start/**',
    ],
    'formats/ is a standalone library: it imports nothing else of ecsimg.',
  ),
  layer(
    ['src/domain/**'],
    ['**/api/**', '**/cli/**', '**/start/**'],
    'domain/ must not import the layers above it (api, cli, start).',
  ),
  layer(
    ['src/store/**', 'src/jobs/**', 'src/blobs/**'],
    ['**/api/**', '**/cli/**', '**/start/**', '**/domain/**'],
    'store/, jobs/ and blobs/ sit below the domain: they must not import it or anything above.',
  ),
  layer(
    ['src/config/**', 'src/log/**'],
    [
      '**/api/**',
      '**/cli/**',
      '**/start/**',
      '**/domain/**',
      '**/store/**',
      '**/jobs/**',
      '**/blobs/**',
      '**/formats/**',
    ],
    'config/ and log/ are the bottom layer.',
  ),
);
