import type { CTypes } from './c-decl.js';
import type { CParam, CReading, IsLiteral, Spaces, TextChar, TextOf, Trim, Words } from './c-reading.js';
import type { FnPtr } from './fn-ptr.js';
import type { Param, Signature } from './signature.js';
import type { Type } from './types.js';

// What TypeScript reads of a literal block of C declarations (`cdef`, `lib.cdef`): the names the
// block defines, each typed where the type-level reader of c-reading.ts follows it, in order, so
// that a typedef types the declarations after it: a prototype is a function (lib.cdef) of its
// signature, a function pointer typedef its signature, a typedef of a scalar or pointer its type,
// a `#define` of a number a number. Every other name the block defines (a struct, a union, an
// enum and its constants, a declaration the reader cannot follow)
// is `any`, as every member was before. When the block is beyond the reader (a statement whose
// name it cannot find, more than MAX_LINES lines or MAX_STATEMENTS statements), the whole record
// is the loose one: it never leaves out a name the block defines, and never guesses a type (what
// it gives is what the parser gives).

/** Bounds that keep the reading far from TypeScript's limit on recursion (an error in the user's
 * code, not a loose type, if reached). */
type MAX_LINES = 400;
type MAX_STATEMENTS = 150;

/** Nothing named, added or declared. */
type None = Record<never, never>;

/** The block's comments out (each a space or a line break). */
export type Uncomment<S extends string> = S extends `${infer A}/*${string}*/${infer B}` ? Uncomment<`${A} ${B}`> : LineComments<S>;
type LineComments<S extends string> = S extends `${infer A}//${infer Rest}` ? (Rest extends `${string}\n${infer B}` ? LineComments<`${A}\n${B}`> : A) : S;

/** A block read line by line: its preprocessor lines apart (macros, constants), the code left. */
interface Scan {
  /** Object-like macros of words (`#define XMLCALL`, `#define API extern`): replaced in the code. */
  macros: [string, string][];
  /** `#define`d constants: a number when written as one, else `any`. */
  constants: unknown;
  code: string;
}
export type Lines<S extends string, Out extends Scan, N extends 0[] = []> = N['length'] extends MAX_LINES
  ? undefined
  : S extends `${infer L}\n${infer R}`
    ? Lines<R, Line<L, Out>, [...N, 0]>
    : Line<S, Out>;
type Line<L extends string, Out extends Scan> =
  Trim<Spaces<L>> extends `#${infer D}`
    ? Trim<D> extends `define ${infer Rest}`
      ? Define<Trim<Rest>, Out>
      : Out
    : { macros: Out['macros']; constants: Out['constants']; code: `${Out['code']}\n${L}` };
type Define<R extends string, Out extends Scan> = R extends `${infer Name} ${infer Body}` ? Defined<Name, Trim<Body>, Out> : Defined<R, '', Out>;
/** As the block reader decides (cdef.ts): an integer is a constant, words (or nothing) a macro,
 * anything else a constant the reader does not follow. */
type Defined<Name extends string, Body extends string, Out extends Scan> =
  IsNumber<Body> extends true
    ? { macros: Out['macros']; constants: Out['constants'] & { readonly [P in Name]: number }; code: Out['code'] }
    : Body extends keyof Out['constants']
      ? { macros: Out['macros']; constants: Out['constants'] & { readonly [P in Name]: Out['constants'][Body] }; code: Out['code'] }
      : IsWords<Body> extends true
        ? { macros: [...Out['macros'], [Name, Body]]; constants: Out['constants']; code: Out['code'] }
        : { macros: Out['macros']; constants: Out['constants'] & { readonly [P in Name]: any }; code: Out['code'] };

type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';
type HexDigit = Digit | 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'A' | 'B' | 'C' | 'D' | 'E' | 'F';
type Letter = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i' | 'j' | 'k' | 'l' | 'm' | 'n' | 'o' | 'p' | 'q' | 'r' | 's' | 't' | 'u' | 'v' | 'w' | 'x' | 'y' | 'z' | Uppercase<'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i' | 'j' | 'k' | 'l' | 'm' | 'n' | 'o' | 'p' | 'q' | 'r' | 's' | 't' | 'u' | 'v' | 'w' | 'x' | 'y' | 'z'> | '_';
/** Whether S is made of characters of C only (and at most 15 of them: a number that stays one). */
type Only<S extends string, C extends string, N extends 0[] = []> = S extends '' ? N['length'] extends 0 ? false : true : N['length'] extends 15 ? false : S extends `${C}${infer R}` ? Only<R, C, [...N, 0]> : false;
/** A decimal or hexadecimal integer below 2^53 (at most 15 digits), maybe negative. */
type IsNumber<S extends string> = S extends `-${infer R}` ? IsNumber<R> : S extends `0${'x' | 'X'}${infer H}` ? Only<H, HexDigit> : Only<S, Digit>;
/** Identifiers and spaces only (a macro's words), or nothing. */
type IsWords<S extends string> = S extends '' ? true : S extends `${infer W} ${infer R}` ? (Only<W, Letter | Digit> extends true ? IsWords<R> : false) : W1<S>;
type W1<S extends string> = S extends `${Digit}${string}` ? false : Only<S, Letter | Digit>;

/** A character after which, and before which, a word ends. */
type Sep = ' ' | '\n' | '\t' | '(' | ')' | '*' | ',' | ';' | '{' | '}' | '[' | ']';
/** S with every whole word M replaced by R. */
type ReplaceWord<S extends string, M extends string, R extends string, Done extends string = ''> = S extends `${infer A}${M}${infer B}`
  ? `${Done}${A}` extends '' | `${string}${Sep}`
    ? B extends '' | `${Sep}${string}`
      ? ReplaceWord<B, M, R, `${Done}${A}${R}`>
      : ReplaceWord<B, M, R, `${Done}${A}${M}`>
    : ReplaceWord<B, M, R, `${Done}${A}${M}`>
  : `${Done}${S}`;
type Expand<S extends string, Macros extends [string, string][]> = Macros extends [[infer M extends string, infer R extends string], ...infer Rest extends [string, string][]] ? Expand<ReplaceWord<S, M, R>, Rest> : S;

/** The code's statements: split at `;`, joined again where the `;` was inside braces. */
export type Statements<S extends string, Out extends string[] = [], Open extends string | undefined = undefined> = S extends `${infer A};${infer B}`
  ? (Open extends string ? `${Open};${A}` : A) extends infer J extends string
    ? Braced<J> extends true
      ? Statements<B, [...Out, J], undefined>
      : Statements<B, Out, J>
    : never
  : [...Out, Open extends string ? `${Open};${S}` : S];
type Count<S extends string, C extends string, N extends 0[] = []> = S extends `${string}${C}${infer R}` ? Count<R, C, [...N, 0]> : N['length'];
type Braced<S extends string> = Count<S, '{'> extends Count<S, '}'> ? true : false;

/** What the statements define, read in order: `T` the types so far (given, then the block's),
 * `Out` the types' and constants' names and what each is, `F` the functions'; undefined when a
 * statement is beyond the reader. */
export type Read<S extends string[], T extends CTypes, Out, F = None, N extends 0[] = []> = N['length'] extends MAX_STATEMENTS
  ? undefined
  : S extends [infer H extends string, ...infer R extends string[]]
    ? Statement<Trim<Spaces<H>>, T> extends [infer Names, infer Types extends CTypes, infer Functions]
      ? Read<R, T & Types, Out & Names, F & Functions, [...N, 0]>
      : undefined
    : { definitions: Out; functions: F };

/** One statement: [what it names, what it adds to the types, the function it declares], or
 * undefined. */
export type Statement<S extends string, T extends CTypes> = S extends ''
  ? [None, None, None]
  : S extends `typedef ${infer Rest}`
    ? Typedef<Trim<Rest>, T> extends [infer Names, infer Types]
      ? [Names, Types, None]
      : undefined
    : S extends `${'struct' | 'union' | 'enum'} ${string}{${string}`
      ? [Tagged<S>, None, None]
      : S extends `${infer Declared}(${string}`
        ? DeclaredName<S, Declared> extends infer Name extends string
          ? [None, None, { readonly [P in Name]: LibraryFunction<S, T> }]
          : undefined
        : S extends `${'struct' | 'union' | 'enum'} ${string}`
          ? [None, None, None] // a forward declaration
          : undefined; // a variable: the block reader refuses it too

/** The name a prototype declares: the word before its parameters, or in `R (*name)(P)` (which
 * the parser reads as a function of that name too) the one after the `*`. */
type DeclaredName<S extends string, Declared extends string> = S extends `${string}(${infer Inner})(${string}`
  ? Trim<Inner> extends `${'' | '__cdecl ' | '__stdcall ' | '__fastcall ' | '__thiscall '}*${string}`
    ? TypedefName<Trim<Inner>>
    : FunctionName<Declared>
  : FunctionName<Declared>;

/** A prototype's name: the last word before its parameters. */
type FunctionName<D extends string> = LastWord<Trim<D>> extends infer W extends string ? (W extends '' ? never : W) : never;
type LastWord<S extends string> = S extends `${string}${' ' | '*'}${infer R}` ? LastWord<R> : S;

/** A prototype as a function of a library (typed where the reader follows it). */
type LibraryFunction<S extends string, T extends CTypes> =
  CReading<S, T> extends [infer R extends Param, infer A extends readonly Param[], infer V extends boolean] ? FnPtr<Signature<R, A, V>> : any;

/** `typedef …`: a function pointer type, a struct, union or enum (by body), or a type and a name. */
type Typedef<S extends string, T extends CTypes> = S extends `${string}{${string}`
  ? TypedefOfBody<S>
  : S extends `${infer Ret}(${infer Inner})(${infer Params})`
    ? PointerTypedef<Ret, Inner, Params, T>
    : S extends `${string}[${string}`
      ? Named<ArrayName<S>, any, None>
      : TypedefName<S> extends infer Name extends string
        ? ScalarTypedef<S, Name, T>
        : undefined;
type Named<Name, X, Types> = Name extends string ? [{ readonly [P in Name]: X }, Types] : undefined;
type ArrayName<S extends string> = S extends `${infer Before}[${string}` ? TypedefName<Trim<Before>> : never;
/** The name a simple typedef gives: its last word, after any `*`. */
type TypedefName<S extends string> = LastWord<S> extends infer W extends string ? (W extends '' ? never : W) : never;
/** A typedef of a scalar or pointer type: that type, known to what follows; of a character type
 * (or a typedef of one), marked so that a `const` pointer to it reads as the string it is. */
type ScalarTypedef<S extends string, Name extends string, T extends CTypes> =
  CParam<S, T> extends infer X extends Type
    ? Words<S> extends `${infer Base} ${Name}`
      ? [TextOf<Base, T>] extends [never]
        ? Named<Name, X, { readonly [P in Name]: X }>
        : Named<Name, X, { readonly [P in Name]: X & TextChar<TextOf<Base, T>> }>
      : Named<Name, X, { readonly [P in Name]: X }>
    : Named<Name, any, None>;
/** `typedef R (*Name)(P)`: its signature, which prototypes after it read as a function pointer. */
type PointerTypedef<Ret extends string, Inner extends string, Params extends string, T extends CTypes> =
  TypedefName<Trim<Inner>> extends infer Name extends string
    ? CReading<`${Ret}(*)(${Params})`, T> extends [infer R extends Param, infer A extends readonly Param[], infer V extends boolean]
      ? Named<Name, Signature<R, A, V>, { readonly [P in Name]: Signature<R, A, V> }>
      : Named<Name, any, None>
    : undefined;
/** `typedef struct Tag { … } Name, *PName;` (a union or enum too): the tag, the names (and an
 * enum's constants), each `any`. */
type TypedefOfBody<S extends string> = S extends `${infer Head}}${infer Names}` ? [Tagged<`${Head}}`> & AnyOf<DeclaratorNames<Names>>, None] : undefined;
type DeclaratorNames<S extends string> = S extends `${infer A},${infer B}` ? TypedefName<Trim<A>> | DeclaratorNames<B> : TypedefName<Trim<S>>;
type AnyOf<Names extends string> = { readonly [P in Names]: any };

/** `struct Tag { … }` (or a union or enum): `'struct Tag'`, and an enum's constants, each `any`. */
type Tagged<S extends string> = S extends `${infer Kind extends 'struct' | 'union' | 'enum'} ${infer Rest}`
  ? (Trim<Rest> extends `{${string}` ? unknown : Trim<Rest> extends `${infer Tag}{${string}` ? AnyOf<`${Kind} ${Trim<Tag>}`> : unknown) &
      (Kind extends 'enum' ? (S extends `${string}{${infer Body}}${string}` ? AnyOf<EnumNames<Body>> : unknown) : unknown)
  : unknown;
type EnumNames<S extends string> = S extends `${infer A},${infer B}` ? EnumName<A> | EnumNames<B> : EnumName<S>;
type EnumName<S extends string> = Trim<S> extends `${infer Name}=${string}` ? Trim<Name> : Trim<S> extends '' ? never : Trim<S>;

/** The block as TypeScript reads it: `definitions` (its types and constants, each name by what it
 * is) and `functions` (its prototypes), or undefined (the loose record). */
export type BlockReading<H extends string, T extends CTypes> =
  IsLiteral<H> extends false
    ? undefined
    : Lines<Uncomment<H>, { macros: []; constants: unknown; code: '' }> extends infer Scanned extends Scan
      ? Read<Statements<Expand<Scanned['code'], Scanned['macros']>>, T, Scanned['constants']>
      : undefined;

/** An intersection of records as one record. */
export type Flat<R> = { readonly [K in keyof R]: R[K] };
