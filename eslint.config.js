// Lint, and the layering of ../shared/DESIGN.md enforced as import rules:
//   cli → stage0 → { image, trust, store, pod, net, isolation, stage1 } → { sys, errors, schema }
//   cli → oci (the OCI runtime, a middle-layer peer) → { isolation, stage1 } → { sys, errors, schema }
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

const MIDDLE = ['image', 'trust', 'store', 'pod', 'net', 'isolation', 'stage1', 'oci'];

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
  { files: ['src/{image,store}/**/*.ts'], rules: forbid('cli', 'stage0', 'pod', 'stage1', 'net', 'isolation', 'trust', 'oci') },
  { files: ['src/pod/**/*.ts'], rules: forbid('cli', 'stage0', 'image', 'store', 'stage1', 'net', 'isolation', 'trust', 'oci') },
  { files: ['src/{stage1,isolation,net,trust}/**/*.ts'], rules: forbid('cli', 'stage0', 'oci') },
  // The OCI runtime: a config.json translated to a stage1 plan with the isolation code; a peer of
  // stage0's pods, so it uses neither stage0 nor the pod store and image code.
  { files: ['src/oci/**/*.ts'], rules: forbid('cli', 'stage0', 'image', 'store', 'pod', 'trust', 'net') },
  { files: ['src/stage0/**/*.ts'], rules: forbid('cli') },
  {
    files: ['scripts/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
