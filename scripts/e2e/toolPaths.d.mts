// Types of toolPaths.mjs for the TypeScript harness.
export declare const TOOLS_DIR: string;
export declare const TOOLS_MANIFEST: string;
export declare const CODE_SERVER_SPEC: string;
export declare const NODE_SPEC: string;
export declare function nodePackage(): string;
