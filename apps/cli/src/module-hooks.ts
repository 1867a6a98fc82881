/**
 * Node module-customization hooks (registered with `module.register`) for user modules such as
 * `--loss-module`: every `@puregrad/*` import is resolved as if the CLI itself imported it.
 *
 * Why: autograd records operations in module-level state and checks `instanceof Tensor`. A loss
 * module that loaded its own copy of `@puregrad/autograd` (from a `node_modules` next to it, or
 * none at all) would compute with ops the CLI's tracer never sees, and its gradients would be
 * silently wrong. Resolving from the CLI gives one shared instance, and lets a loss file live
 * anywhere, even where no puregrad is installed.
 */

/** What {@link initialize} receives from the CLI. */
export interface ModuleHooksData {
  /** A URL inside the CLI package, used as the parent of every `@puregrad/*` import. */
  readonly parentURL: string;
}

interface ResolveContext {
  readonly conditions: readonly string[];
  readonly importAttributes: Record<string, string>;
  readonly parentURL?: string;
}

interface ResolveResult {
  readonly url: string;
  readonly format?: string | null;
}

/** What a resolve hook returns (the fields this module reads or sets). */
interface ResolveResult {
  readonly url: string;
  readonly format?: string | null;
  readonly shortCircuit?: boolean;
}

type NextResolve = (specifier: string, context?: Partial<ResolveContext>) => Promise<ResolveResult>;

let cliParentURL: string | undefined;

/** Receives the CLI's location (called once by `module.register`). */
export function initialize(data: ModuleHooksData): void {
  cliParentURL = data.parentURL;
}

/**
 * Resolves `@puregrad/*` from the CLI package, short-circuiting the hooks registered before
 * (tsx), so that no hook decorates the URL and makes it a second instance. Everything else
 * resolves as usual, except that user TypeScript is always an ES module: a .ts file outside any
 * `"type": "module"` package would otherwise be compiled to CommonJS, whose `require()` reaches a
 * second copy of puregrad.
 */
export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: NextResolve,
): Promise<ResolveResult> {
  if (cliParentURL !== undefined && specifier.startsWith("@puregrad/")) {
    const resolved = await nextResolve(specifier, { ...context, parentURL: cliParentURL });
    return { ...resolved, shortCircuit: true };
  }
  const resolved = await nextResolve(specifier, context);
  const userTypeScript = /\.tsx?$/.test(resolved.url) && !resolved.url.includes("/node_modules/");
  return userTypeScript && resolved.format === "commonjs"
    ? { ...resolved, format: "module" }
    : resolved;
}
