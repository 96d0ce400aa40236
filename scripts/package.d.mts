// Types of scripts/package.mjs for the TypeScript scripts and tests that import it.
import type { BuildOptions, Metafile } from 'esbuild';

export declare const artifactDirectory: string;
export declare const BUNDLED_CONFIG: string;
export declare const EXCLUDED_FROM_BUNDLES: readonly string[];
/** The SDK code each Lambda bundle replaces by a stand-in that refuses if reached (scripts/package.mjs `SDK_STAND_INS`). */
export declare const SDK_STAND_IN_NAMES: readonly string[];
export declare function packagedConfig(configPath: string): Promise<string>;
/** Which optional adapter families an artifact's configuration uses; a family that is false is left out. */
export interface OptionalAdapters {
  /** A `postgres` database or an HAProxy switch: the PostgreSQL adapters and pg. */
  readonly postgres: boolean;
  /** An `aurora-global` database: the Aurora Global Database adapter. */
  readonly auroraGlobal: boolean;
  /** A group with `dns.switch: arc-routing-control`: the ARC adapter and its SDK client. */
  readonly arcRoutingControl: boolean;
  /** A region with `database.connectionCheck`: the probe's connection check, pg, Secrets Manager and the RDS signer. */
  readonly connectionCheck: boolean;
}
export declare const ALL_ADAPTERS: OptionalAdapters;
export interface LambdaBundleOptions {
  readonly minify?: boolean;
  /** The optional adapter families to keep; default `ALL_ADAPTERS`. */
  readonly adapters?: OptionalAdapters;
}
export declare function lambdaBuildOptions(options?: LambdaBundleOptions): Promise<BuildOptions & { metafile: true; write: false }>;
export declare function bundleHandler(name: string, options?: LambdaBundleOptions): Promise<{ code: Uint8Array; metafile: Metafile }>;
export declare function adaptersUsedBy(configPath: string): Promise<OptionalAdapters>;
export declare function buildArtifacts(options: { functions: readonly string[]; configPath: string }): Promise<string[]>;
