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

type NextResolve = (specifier: string, context?: Partial<ResolveContext>) => Promise<unknown>;

let cliParentURL: string | undefined;

/** Receives the CLI's location (called once by `module.register`). */
export function initialize(data: ModuleHooksData): void {
  cliParentURL = data.parentURL;
}

/**
 * Resolves `@puregrad/*` from the CLI package, short-circuiting the hooks registered before
 * (tsx), so that no hook decorates the URL and makes it a second instance; everything else as
 * usual.
 */
export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: NextResolve,
): Promise<unknown> {
  if (cliParentURL !== undefined && specifier.startsWith("@puregrad/")) {
    const resolved = (await nextResolve(specifier, {
      ...context,
      parentURL: cliParentURL,
    })) as object;
    return { ...resolved, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
