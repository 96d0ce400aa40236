// Types of scripts/package.mjs for the TypeScript scripts and tests that import it.
import type { Metafile } from 'esbuild';

export declare const artifactDirectory: string;
export declare const BUNDLED_CONFIG: string;
export declare const EXCLUDED_FROM_BUNDLES: readonly string[];
export declare function packagedConfig(configPath: string): Promise<string>;
export declare function bundleHandler(name: string, options?: { minify?: boolean }): Promise<{ code: Uint8Array; metafile: Metafile }>;
export declare function buildArtifacts(options: { functions: readonly string[]; configPath: string }): Promise<string[]>;
