/**
 * Small io-ts combinators for config files: every field has a default, unknown keys are errors
 * (io-ts' `exact` would strip them silently), out-of-range values fail with a readable message,
 * and every failure carries the dotted path of its field.
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";

/** One bad field of a config: where (`optimizer.learningRate`) and what (`must be > 0, got -1`). */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** A config that does not decode; `issues` lists every bad field, `message` one per line. */
export interface ConfigError {
  readonly _tag: "ConfigError";
  readonly issues: readonly ConfigIssue[];
  readonly message: string;
}

/** Builds a {@link ConfigError} from its issues. */
export function configError(issues: readonly ConfigIssue[]): ConfigError {
  return {
    _tag: "ConfigError",
    issues,
    message: issues
      .map((issue) => (issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`))
      .join("\n"),
  };
}

/** A JSON-ish rendering of a bad value for messages. */
export const describeValue = (value: unknown): string =>
  value === undefined ? "nothing" : (JSON.stringify(value) ?? String(value));

/** `a.b[2].c` from an io-ts context (array indices in brackets). */
function contextPath(context: t.Context): string {
  let path = "";
  for (const { key } of context) {
    if (key === "") continue;
    path += /^\d+$/.test(key) ? `[${key}]` : path === "" ? key : `.${key}`;
  }
  return path;
}

/** Decodes with `codec` and turns io-ts errors into a {@link ConfigError} (one issue per field). */
export function decodeWith<A>(
  codec: t.Decoder<unknown, A>,
  input: unknown,
): E.Either<ConfigError, A> {
  const result = codec.decode(input);
  if (E.isRight(result)) return result;
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const error of result.left) {
    const issue = {
      path: contextPath(error.context),
      message: error.message ?? `invalid value ${describeValue(error.value)}`,
    };
    const id = `${issue.path}\u0000${issue.message}`;
    if (!seen.has(id)) {
      seen.add(id);
      issues.push(issue);
    }
  }
  return E.left(configError(issues));
}

/**
 * A finite number satisfying `valid`, described as `expected` in the failure
 * (`must be > 0, got -1`); `integer` also requires an integer.
 */
export function checkedNumber(
  expected: string,
  valid: (value: number) => boolean,
  integer = false,
): t.Type<number, number, unknown> {
  return new t.Type<number, number, unknown>(
    `number ${expected}`,
    (input): input is number =>
      typeof input === "number" && (!integer || Number.isInteger(input)) && valid(input),
    (input, context) => {
      if (input === undefined)
        return t.failure(input, context, `is required: a number ${expected}`);
      if (typeof input !== "number" || !Number.isFinite(input))
        return t.failure(input, context, `must be a finite number, got ${describeValue(input)}`);
      if (integer && !Number.isInteger(input))
        return t.failure(input, context, `must be an integer, got ${input}`);
      return valid(input)
        ? t.success(input)
        : t.failure(input, context, `must be ${expected}, got ${input}`);
    },
    t.identity,
  );
}

/** A finite number > 0 (learning rates, ranges). */
export const positiveNumber = checkedNumber("> 0", (value) => value > 0);
/** A finite number >= 0 (λ, σ). */
export const nonNegativeNumber = checkedNumber(">= 0", (value) => value >= 0);
/** An integer >= 1 (epochs, batch size, layer sizes). */
export const positiveInteger = checkedNumber(">= 1", (value) => value >= 1, true);
/** An integer >= 0. */
export const nonNegativeInteger = checkedNumber(">= 0", (value) => value >= 0, true);
/** Any integer (seeds, record indices). */
export const anyInteger = checkedNumber("an integer", () => true, true);
/** In [0, 1): momentum ρ, batch-norm α, Adam's β. */
export const unitInterval = checkedNumber("in [0, 1)", (value) => value >= 0 && value < 1);

/** One of a fixed set of strings. */
export function oneOf<const L extends string>(values: readonly L[]): t.Type<L, L, unknown> {
  const allowed = values.map((value) => JSON.stringify(value)).join(", ");
  return new t.Type<L, L, unknown>(
    values.join(" | "),
    (input): input is L =>
      typeof input === "string" && (values as readonly string[]).includes(input),
    (input, context) =>
      typeof input === "string" && (values as readonly string[]).includes(input)
        ? t.success(input as L)
        : t.failure(input, context, `must be one of ${allowed}, got ${describeValue(input)}`),
    t.identity,
  );
}

/** A non-empty string. */
export const nonEmptyString = new t.Type<string, string, unknown>(
  "non-empty string",
  (input): input is string => typeof input === "string" && input !== "",
  (input, context) =>
    typeof input === "string" && input !== ""
      ? t.success(input)
      : t.failure(input, context, `must be a non-empty string, got ${describeValue(input)}`),
  t.identity,
);

/** Any string (descriptions may be empty). */
export const text = new t.Type<string, string, unknown>(
  "string",
  (input): input is string => typeof input === "string",
  (input, context) =>
    typeof input === "string"
      ? t.success(input)
      : t.failure(input, context, `must be a string, got ${describeValue(input)}`),
  t.identity,
);

/** A boolean. */
export const flag = new t.Type<boolean, boolean, unknown>(
  "boolean",
  (input): input is boolean => typeof input === "boolean",
  (input, context) =>
    typeof input === "boolean"
      ? t.success(input)
      : t.failure(input, context, `must be true or false, got ${describeValue(input)}`),
  t.identity,
);

/** An array of `element`, with at least `minLength` entries. */
export function arrayOf<C extends t.Mixed>(
  element: C,
  minLength = 0,
): t.Type<t.TypeOf<C>[], t.OutputOf<C>[], unknown> {
  return new t.Type<t.TypeOf<C>[], t.OutputOf<C>[], unknown>(
    `Array<${element.name}>`,
    (input): input is t.TypeOf<C>[] => Array.isArray(input) && input.every(element.is),
    (input, context) => {
      if (!Array.isArray(input))
        return t.failure(input, context, `must be an array, got ${describeValue(input)}`);
      if (input.length < minLength)
        return t.failure(
          input,
          context,
          `must have at least ${minLength} ${minLength === 1 ? "entry" : "entries"}, got ${input.length}`,
        );
      const errors: t.Errors = [];
      const values: t.TypeOf<C>[] = [];
      input.forEach((item, index) => {
        const result = element.validate(
          item,
          t.appendContext(context, String(index), element, item),
        );
        if (E.isLeft(result)) errors.push(...result.left);
        else values.push(result.right);
      });
      return errors.length > 0 ? t.failures(errors) : t.success(values);
    },
    (values) => values.map((value) => element.encode(value)),
  );
}

/** `codec`, or `undefined` when the field is absent (a field with no default). */
export function optional<C extends t.Mixed>(
  codec: C,
): t.Type<t.TypeOf<C> | undefined, t.OutputOf<C> | undefined, unknown> {
  return new t.Type<t.TypeOf<C> | undefined, t.OutputOf<C> | undefined, unknown>(
    `${codec.name} | undefined`,
    (input): input is t.TypeOf<C> | undefined => input === undefined || codec.is(input),
    (input, context) =>
      input === undefined ? t.success(undefined) : codec.validate(input, context),
    (value) => (value === undefined ? undefined : codec.encode(value)),
  );
}

type Props = Record<string, t.Mixed>;
type Decoded<P extends Props> = { [K in keyof P]: t.TypeOf<P[K]> };
type Encoded<P extends Props> = { [K in keyof P]: t.OutputOf<P[K]> };

const isRecord = (input: unknown): input is Record<string, unknown> =>
  typeof input === "object" && input !== null && !Array.isArray(input);

/**
 * A JSON object with exactly the keys of `props`. A missing (or absent-object) field takes its
 * entry of `defaults` (given in JSON form and decoded like user input); a key not in `props` is
 * an error naming the keys that are allowed. Every bad field is reported, not only the first.
 */
export function strictObject<P extends Props>(
  name: string,
  props: P,
  defaults: { readonly [K in keyof P]?: t.OutputOf<P[K]> } = {},
): t.Type<Decoded<P>, Encoded<P>, unknown> {
  const keys = Object.keys(props);
  return new t.Type<Decoded<P>, Encoded<P>, unknown>(
    name,
    (input): input is Decoded<P> =>
      isRecord(input) &&
      Object.keys(input).every((key) => key in props) &&
      keys.every((key) => props[key]!.is(input[key])),
    (input, context) => {
      const record = input === undefined ? {} : input;
      if (!isRecord(record))
        return t.failure(input, context, `must be an object, got ${describeValue(input)}`);
      const errors: t.Errors = [];
      for (const key of Object.keys(record)) {
        if (!(key in props)) {
          errors.push({
            value: record[key],
            context: t.appendContext(context, key, t.unknown, record[key]),
            message: `unknown key (allowed: ${keys.join(", ")})`,
          });
        }
      }
      const decoded: Record<string, unknown> = {};
      for (const key of keys) {
        const codec = props[key]!;
        const value = record[key] === undefined ? defaults[key] : record[key];
        const result = codec.validate(value, t.appendContext(context, key, codec, value));
        if (E.isLeft(result)) errors.push(...result.left);
        else decoded[key] = result.right;
      }
      return errors.length > 0 ? t.failures(errors) : t.success(decoded as Decoded<P>);
    },
    (value) => {
      const encoded: Record<string, unknown> = {};
      for (const key of keys) {
        const field = props[key]!.encode(value[key]);
        if (field !== undefined) encoded[key] = field;
      }
      return encoded as Encoded<P>;
    },
  );
}

/**
 * Objects told apart by a string field `tag` (e.g. `optimizer.type`), which defaults to
 * `defaultTag`. Each member is a {@link strictObject} that includes the tag as a field.
 */
export function taggedUnion<M extends Record<string, t.Mixed>>(
  name: string,
  tag: string,
  members: M,
  defaultTag: keyof M & string,
): t.Type<t.TypeOf<M[keyof M]>, t.OutputOf<M[keyof M]>, unknown> {
  const tags = Object.keys(members);
  const tagCodec = oneOf(tags);
  type A = t.TypeOf<M[keyof M]>;
  type O = t.OutputOf<M[keyof M]>;
  const memberOf = (value: unknown): t.Mixed | undefined =>
    isRecord(value) && typeof value[tag] === "string" ? members[value[tag] as string] : undefined;
  return new t.Type<A, O, unknown>(
    name,
    (input): input is A => memberOf(input)?.is(input) ?? false,
    (input, context) => {
      const record = input === undefined ? {} : input;
      if (!isRecord(record))
        return t.failure(input, context, `must be an object, got ${describeValue(input)}`);
      const withTag = record[tag] === undefined ? { ...record, [tag]: defaultTag } : record;
      const tagResult = tagCodec.validate(
        withTag[tag],
        t.appendContext(context, tag, tagCodec, withTag[tag]),
      );
      if (E.isLeft(tagResult)) return tagResult;
      return members[tagResult.right]!.validate(withTag, context);
    },
    (value) => memberOf(value)!.encode(value) as O,
  );
}

/**
 * Adds checks across fields of an already-decoded value; `check` returns the issues as
 * `[relative path, message]` pairs (an empty path for the value itself).
 */
export function crossChecked<A, O>(
  codec: t.Type<A, O, unknown>,
  check: (value: A) => readonly (readonly [string, string])[],
): t.Type<A, O, unknown> {
  return new t.Type<A, O, unknown>(
    codec.name,
    (input): input is A => codec.is(input) && check(input).length === 0,
    (input, context) => {
      const result = codec.validate(input, context);
      if (E.isLeft(result)) return result;
      const problems = check(result.right);
      if (problems.length === 0) return result;
      return t.failures(
        problems.map(([path, message]) => ({
          value: input,
          context: path === "" ? context : t.appendContext(context, path, t.unknown, undefined),
          message,
        })),
      );
    },
    codec.encode,
  );
}
