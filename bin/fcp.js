#!/usr/bin/env node
// The operator CLI runs from TypeScript source through tsx, so `npm link` / `npx fcp` need no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
