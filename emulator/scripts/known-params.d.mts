// Types of known-params.mjs for the TypeScript tests that import it.
export const OUTPUT: string;
export function normalizePath(path: string): string;
export function emulatorRoutes(): string[];
export function generate(routes?: string[]): { text: string; missing: string[] };
