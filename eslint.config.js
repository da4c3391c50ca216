// Lint, and the layering of ../shared/DESIGN.md enforced as import rules:
//   cli → stage0 → { image, trust, store, pod, net, isolation, stage1 } → { sys, errors, schema }
import tseslint from 'typescript-eslint';

const forbid = (...layers) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: layers.map((layer) => ({
        group: [`**/${layer}/*`, `../${layer}/*`, `./${layer}/*`],
        message: `this layer must not import from ${layer}/ (see docs/architecture.md, "Layering")`,
      })),
    },
  ],
});

const MIDDLE = ['image', 'trust', 'store', 'pod', 'net', 'isolation', 'stage1'];

export default tseslint.config(
  { ignores: ['build/', 'dist/', 'node_modules/', 'native/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['src/{errors,schema,sys}/**/*.ts'], rules: forbid('cli', 'stage0', ...MIDDLE) },
  { files: ['src/{image,store}/**/*.ts'], rules: forbid('cli', 'stage0', 'pod', 'stage1', 'net', 'isolation', 'trust') },
  { files: ['src/pod/**/*.ts'], rules: forbid('cli', 'stage0', 'image', 'store', 'stage1', 'net', 'isolation', 'trust') },
  { files: ['src/{stage1,isolation,net,trust}/**/*.ts'], rules: forbid('cli', 'stage0') },
  { files: ['src/stage0/**/*.ts'], rules: forbid('cli') },
  {
    files: ['scripts/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
