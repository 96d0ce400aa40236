// Types of scripts/package.mjs for the TypeScript scripts and tests that import it.
import type { BuildOptions, Metafile } from 'esbuild';

export declare const artifactDirectory: string;
export declare const BUNDLED_CONFIG: string;
export declare const EXCLUDED_FROM_BUNDLES: readonly string[];
export declare function packagedConfig(configPath: string): Promise<string>;
export interface LambdaBundleOptions {
  readonly minify?: boolean;
  /** Whether the artifact's configuration uses the PostgreSQL adapters; false leaves them (and pg) out. Default true. */
  readonly postgres?: boolean;
}
export declare function lambdaBuildOptions(options?: LambdaBundleOptions): Promise<BuildOptions & { metafile: true; write: false }>;
export declare function bundleHandler(name: string, options?: LambdaBundleOptions): Promise<{ code: Uint8Array; metafile: Metafile }>;
export declare function usesPostgres(configPath: string): Promise<boolean>;
export declare function buildArtifacts(options: { functions: readonly string[]; configPath: string }): Promise<string[]>;
