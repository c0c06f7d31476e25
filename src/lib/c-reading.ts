import type { C_TYPEDEFS, TEXT_CHARS, TypedefTargets, WIN32_TYPEDEFS } from './c-typedefs.js';
import type { C_SCALARS, CSpelling, CTypes } from './c-decl.js';
import type { FunctionPointer, Param, Signature } from './signature.js';
import type { StructType } from './struct.js';
import type { TextName, Type } from './types.js';

// What TypeScript reads of a C declaration (`CReading`): the reading of c-decl.ts's parser at the
// type level, for the declarations it can follow, written with the scalar names and typedefs,
// pointers (`const char *` a C string), function pointer and array parameters (pointers) and the
// names given in `types`. Anything else (a macro, a name it does not know, a declaration that is
// not a literal) gives `unknown`: `sig.c` is then typed as the general `Signature`, and a
// callback's parameters are not inferred (declare them, or use `sig(...)`). It never guesses: a
// type it gives is the one the parser gives (types.typecheck.ts compares them over a table).

type Space = ' ' | '\n' | '\t';
export type Trim<S extends string> = S extends `${Space}${infer R}` ? Trim<R> : S extends `${infer R}${Space | ';'}` ? Trim<R> : S;
/** Tabs and newlines as spaces (one character at a time: a union of them in the pattern made
 * TypeScript run out of memory). */
export type Spaces<S extends string> = Replace<Replace<S, '\t'>, '\n'>;
type Replace<S extends string, C extends string> = S extends `${infer A}${C}${infer B}` ? Replace<`${A} ${B}`, C> : S;
/** The words of a type, single-spaced, without qualifiers. */
export type Words<S extends string, Out extends string = ''> =
  Trim<S> extends `${infer W} ${infer Rest}`
    ? Words<Rest, W extends 'const' | 'volatile' | 'restrict' | 'extern' | '' ? Out : Out extends '' ? W : `${Out} ${W}`>
    : Trim<S> extends 'const' | 'volatile' | 'restrict' | 'extern' | ''
      ? Out
      : Out extends ''
        ? Trim<S>
        : `${Out} ${Trim<S>}`;

/** Scalars by their C spelling: `C_SCALARS` and the typedefs (a platform's choice as either
 * name; the Win32 names too, which the parser knows on Windows only). */
type CScalars = { [K in CSpelling]: (typeof C_SCALARS)[K][number] } & { [K in keyof Typedefs]: TargetName<TypedefTargets<Typedefs[K]>> };
type Typedefs = typeof C_TYPEDEFS & typeof WIN32_TYPEDEFS;
type TargetName<X> = X extends 'void *'
  ? 'pointer'
  : X extends 'const char *'
    ? 'cstring'
    : X extends 'const wchar_t *'
      ? (typeof TEXT_CHARS)['wchar_t']
      : X extends CSpelling
        ? (typeof C_SCALARS)[X][number]
        : never;

/** A type given in the types argument as a declaration reads it: a signature is a function
 * pointer. */
type Given<X> = X extends Signature ? FunctionPointer<X> : X;

/** The last word dropped (a parameter's name). */
type DropLast<S extends string> = S extends `${infer H} ${infer R}` ? (R extends `${string} ${string}` ? `${H} ${DropLast<R>}` : H) : '';

/** A type's words (no `*`), maybe ending with a parameter name; `unknown` if not known. */
type Named<W extends string, T extends CTypes, Tried = false> = W extends `${'struct' | 'union'} ${infer N extends keyof T & string}`
  ? T[N]
  : W extends keyof T & string
    ? Given<T[W]>
    : W extends keyof CScalars
      ? Type<CScalars[W]>
      : Tried extends false
        ? Named<DropLast<W>, T, true>
        : unknown;

/** Whether the words of S include `const`. */
type HasConst<S extends string> = ` ${Spaces<S>} ` extends `${string} const ${string}` ? true : false;

/** One parameter or return type: a function pointer parameter (`int (*cmp)(const void *, const
 * void *)`) and an array parameter (`int fds[2]`) are pointers, as the parser reads them. */
export type CParam<S extends string, T extends CTypes> = S extends `${infer Ret}(${infer Inner})(${infer Params})`
  ? Trim<Spaces<Inner>> extends `${'' | '__cdecl ' | '__stdcall ' | '__fastcall ' | '__thiscall '}*${infer Name}`
    ? Trim<Name> extends `${string}${' ' | '*' | '('}${string}`
      ? unknown
      : CallbackOf<CReading<`${Ret}(*)(${Params})`, T>>
    : unknown
  : S extends `${string}${'(' | ')'}${string}`
    ? unknown
    : S extends `${string}[${string}]`
      ? Type<'pointer'>
      : CValue<S, T>;

/** A function pointer parameter whose own declaration reads as R: it takes a BareFn of that
 * signature; one that cannot be read is a pointer that takes a BareFn of any signature (the
 * run-time check still applies). */
type CallbackOf<R> = R extends [infer Ret extends Param, infer A extends readonly Param[], infer V extends boolean] ? FunctionPointer<Signature<Ret, A, V>> : FunctionPointer;

/** A parameter or return type without parentheses or brackets. */
type CValue<S extends string, T extends CTypes> = S extends `${infer Base}*${infer Rest}`
    ? [TextOf<Words<Spaces<Base>>, T>] extends [never]
      ? Type<'pointer'>
      : Rest extends `${string}*${string}`
        ? Type<'pointer'>
        : HasConst<Base> extends true
          ? Type<TextOf<Words<Spaces<Base>>, T>>
          : Type<'pointer'>
    : Named<Words<Spaces<S>>, T>;

/** The string type a `const` pointer to the character type W is (`char`, `TEXT_CHARS`), else
 * never. */
export type TextOf<W extends string, T extends CTypes> = W extends 'char'
  ? 'cstring'
  : W extends keyof typeof TEXT_CHARS
    ? (typeof TEXT_CHARS)[W]
    : W extends keyof T
      ? T[W] extends TextChar<infer N>
        ? N
        : never
      : never;

declare const textChar: unique symbol;
/** A typedef of a character type, as the block reader (cdef-reading.ts) records it in the types:
 * a `const` pointer to it is a string of N, as the parser's char aliases are. Types only. */
export interface TextChar<N extends TextName> {
  readonly [textChar]: N;
}

/** A parameter list: its types, and whether it ends with `...`; `unknown` if a parameter is. */
type CParams<S extends string, T extends CTypes> = Trim<Spaces<S>> extends '' | 'void' ? [[], false] : ParamList<Regroup<Pieces<S>>, T>;

/** The text between commas. */
type Pieces<S extends string, Out extends string[] = []> = S extends `${infer A},${infer B}` ? Pieces<B, [...Out, A]> : [...Out, S];
/** How many times C occurs in S, as a tuple's length. */
type Occurrences<S extends string, C extends string, N extends 0[] = []> = S extends `${string}${C}${infer R}` ? Occurrences<R, C, [...N, 0]> : N['length'];
type Balanced<S extends string> = Occurrences<S, '('> extends Occurrences<S, ')'> ? true : false;
/** Pieces joined again where a comma was inside parentheses (a function pointer's parameters):
 * one step per comma, not per character. */
type Regroup<P extends string[], Open extends string | undefined = undefined, Out extends string[] = []> = P extends [
  infer H extends string,
  ...infer R extends string[],
]
  ? (Open extends string ? `${Open},${H}` : H) extends infer J extends string
    ? Balanced<J> extends true
      ? Regroup<R, undefined, [...Out, J]>
      : Regroup<R, J, Out>
    : never
  : Open extends string
    ? [...Out, Open]
    : Out;
type ParamList<P extends string[], T extends CTypes, Out extends readonly unknown[] = []> = P extends [infer H extends string, ...infer R extends string[]]
  ? R extends []
    ? Trim<H> extends '...'
      ? [Out, true]
      : [[...Out, CParam<Trim<H>, T>], false]
    : ParamList<R, T, [...Out, CParam<Trim<H>, T>]>
  : [Out, false];

/** Whether every element is a parameter type. */
type AllKnown<A extends readonly unknown[]> = A extends readonly [infer H, ...infer R] ? ([H] extends [Type | StructType] ? AllKnown<R> : false) : true;

type Build<Ret, Params extends string, T extends CTypes> =
  CParams<Params, T> extends [infer A extends readonly unknown[], infer V extends boolean]
    ? AllKnown<[Ret, ...A]> extends true
      ? [Ret, A, V]
      : unknown
    : unknown;

/** The return type of a prototype: the text before the name (every `*` counted). */
type ReturnOf<S extends string> = S extends `${infer B}*${infer Rest}` ? `${B}*${ReturnStars<Rest>}` : DropLast<Words<Spaces<S>>>;
type ReturnStars<S extends string> = S extends `${string}*${infer Rest}` ? `*${ReturnStars<Rest>}` : '';

/** Whether S is one string, not a pattern (`string`, `a${string}`): only those are read (reading
 * a pattern recursed without end). */
export type IsLiteral<S extends string> = Record<never, never> extends Record<S, 1> ? false : true;

/** What `sig.c(S, types)` reads, where TypeScript can: [ret, args, variadic]; else unknown. */
export type CReading<S extends string, T extends CTypes> =
  IsLiteral<S> extends false
    ? unknown
    : CReadingOf<S, T>;
type CReadingOf<S extends string, T extends CTypes> = PointerType<Trim<S>, T> extends infer R ? (R extends 'prototype' ? Prototype<Trim<S>, T> : R) : never;

/** A function pointer type (`int (*)(int)`, `void (__stdcall *name)(void)`), or 'prototype'
 * when S is not written as one. */
type PointerType<S extends string, T extends CTypes> = S extends `${infer Ret}(${infer Inner})(${infer Params})`
  ? Trim<Inner> extends `${'' | '__cdecl ' | '__stdcall ' | '__fastcall ' | '__thiscall '}*${infer Name}`
    ? Trim<Name> extends `${string}${' ' | '*' | '('}${string}`
      ? unknown
      : Build<CValue<Ret, T>, Params, T>
    : 'prototype'
  : 'prototype';

/** A prototype (`int strcmp(const char *a, const char *b)`). */
type Prototype<S extends string, T extends CTypes> = S extends `${infer RetName}(${infer Params})` ? Build<CValue<ReturnOf<RetName>, T>, Params, T> : unknown;
