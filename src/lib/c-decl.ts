// C declarations as signatures: `sig.c('int (*)(const void *, const void *)')` and
// `lib.fn('int strcmp(const char *a, const char *b)')`. A small parser of the C that prototypes
// and function pointer types are written in (not of C: no macros, no nested declarators beyond
// a function pointer parameter), its errors pointing at the token at fault; and the same reading
// at the type level where TypeScript can follow it (`CSignature`).
import { TEXT_CHARS, typedefTarget } from './c-typedefs.js';
import { LAYOUTS } from './scalars.js';
import type { Abi, Signature } from './signature.js';
import { isMadeSignature } from './signatures-made.js';
import { type FieldType, isComposite, isStruct, type StructType } from './struct.js';
import { describe, isType, own, t, type TextName, type Type, type TypeName } from './types.js';

/** What a declaration says. */
export interface CDeclaration {
  name: string | undefined;
  ret: Type | StructType;
  args: (Type | StructType)[];
  variadic: boolean;
  abi: Abi | undefined;
  /** For each argument that is a function pointer, what it is called as (else undefined). */
  callbacks: (CallbackParam | undefined)[];
}

/** A function pointer parameter's type: a signature given in the types (a typedef of one), or the
 * declaration the parameter writes (`int (*compar)(const void *, const void *)`), which
 * signature.ts makes a signature (this file cannot call sig: signature.ts imports it). */
export type CallbackParam = Signature | Omit<CDeclaration, 'name'>;

/** Types a declaration may name, by name: a scalar (`{ gint: t.i32 }`), a pointer (`{ XML_Parser:
 * t.pointer }`, an opaque handle), a struct (`Point` or `struct Point`), or a signature (a
 * function pointer typedef: a parameter of that type is a pointer). */
export type CTypes = Readonly<Record<string, Type | StructType | FieldType | Signature | number | bigint>>;

export interface Token {
  text: string;
  /** Where it starts in the text. */
  at: number;
}

const pointerSize = LAYOUTS[t.pointer.code]!.size;
/** `long` is 64-bit on 64-bit Linux and macOS (LP64), 32-bit on Windows and 32-bit targets. */
const longIs64 = pointerSize === 8 && process.platform !== 'win32';
/** Plain `char` is unsigned on Linux for Arm (AAPCS64), signed elsewhere. */
const charIsUnsigned = process.platform === 'linux' && process.arch === 'arm64';

/**
 * The scalars by their C spelling, for the parser and the type-level reader alike. Two names
 * where the platform decides: plain `char` is `u8` on Linux for Arm and `i8` elsewhere, `long`
 * 64-bit on 64-bit Linux and macOS and 32-bit on Windows and 32-bit targets (`choose`). Integer
 * keyword combinations are looked up in a canonical order (`integer`); the type level reads the
 * spellings listed here only.
 */
export const C_SCALARS = {
  void: ['void'], bool: ['bool'], _Bool: ['bool'], float: ['f32'], double: ['f64'],
  char: ['i8', 'u8'], 'signed char': ['i8'], 'unsigned char': ['u8'],
  short: ['i16'], 'short int': ['i16'], 'signed short': ['i16'], 'unsigned short': ['u16'], 'unsigned short int': ['u16'],
  int: ['i32'], signed: ['i32'], 'signed int': ['i32'], unsigned: ['u32'], 'unsigned int': ['u32'],
  long: ['i32', 'i64'], 'long int': ['i32', 'i64'], 'signed long': ['i32', 'i64'], 'unsigned long': ['u32', 'u64'], 'unsigned long int': ['u32', 'u64'],
  'long long': ['i64'], 'long long int': ['i64'], 'signed long long': ['i64'], 'unsigned long long': ['u64'], 'unsigned long long int': ['u64'],
  int8_t: ['i8'], uint8_t: ['u8'], int16_t: ['i16'], uint16_t: ['u16'], int32_t: ['i32'], uint32_t: ['u32'], int64_t: ['i64'], uint64_t: ['u64'],
  size_t: ['usize'], uintptr_t: ['usize'], ssize_t: ['isize'], intptr_t: ['isize'], ptrdiff_t: ['isize'],
} as const satisfies Readonly<Record<string, readonly TypeName[]>>;
export type CSpelling = keyof typeof C_SCALARS;

/** The type of a spelling here. */
function choose(spelling: CSpelling): Type {
  const names: readonly TypeName[] = C_SCALARS[spelling];
  if (names.length === 1) return t[names[0]!];
  const second = names.includes('u8') ? charIsUnsigned : longIs64;
  return t[names[second ? 1 : 0]!];
}

/** Single-word spellings that are not integer keywords (`size_t`, `double`, …), and the
 * platform's typedefs (c-typedefs.ts). */
function isNamed(word: string): boolean {
  return (Object.hasOwn(C_SCALARS, word) && !INTEGER_WORDS.has(word)) || typedefTarget(word) !== undefined;
}

/** The type of a single-word spelling (`isNamed`). */
function namedType(word: string): Type {
  const target = typedefTarget(word);
  if (target === undefined) return choose(word as CSpelling);
  if (target === 'void *') return t.pointer;
  if (target === 'const char *') return t.cstring;
  if (target === 'const wchar_t *') return t.wcstring;
  return choose(target as CSpelling);
}

const QUALIFIERS = new Set(['const', 'volatile', 'restrict', '__restrict', 'extern', 'static', 'inline']);
const CONVENTIONS: Readonly<Record<string, Abi>> = { __cdecl: 'C', __stdcall: 'stdcall', __fastcall: 'fastcall', __thiscall: 'thiscall' };
const INTEGER_WORDS = new Set(['signed', 'unsigned', 'char', 'short', 'int', 'long']);

/** The tokens of `text` from `start` to `end`: names, numbers (`16`, `0x1F`, `10u`), `...`, `<<`
 * and punctuation. */
export function tokenize(text: string, what: string, start = 0, end = text.length): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:([A-Za-z_]\w*)|(\.\.\.|<<)|([*(),[\];{}=:|+\-~])|((?:0[xX][0-9a-fA-F]+|\d+)[uUlL]*)|(\S))/y;
  pattern.lastIndex = start;
  const source = text.slice(0, end);
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < end && (match = pattern.exec(source)) !== null) {
    const at = match.index + match[0].length - (match[1] ?? match[2] ?? match[3] ?? match[4] ?? match[5] ?? '').length;
    if (match[5] !== undefined) throw syntax(what, text, at, `unexpected ${describe(match[5])}`);
    const token = match[1] ?? match[2] ?? match[3] ?? match[4];
    if (token !== undefined) tokens.push({ text: token, at });
  }
  return tokens;
}

/** A TypeError showing the declaration with a caret under the offending place. */
/** How many characters of the declaration a message shows on each side of the caret. */
const WINDOW = 60;

/** A syntax error at `at`: the line it is on (a window of it around the caret, `…` where it is
 * cut: a long declaration would come back whole in every message), with its line (in a
 * multi-line declaration) and column. */
export function syntax(what: string, text: string, at: number, problem: string): TypeError {
  const start = text.lastIndexOf('\n', at - 1) + 1;
  const newline = text.indexOf('\n', at);
  const end = newline < 0 ? text.length : newline;
  const from = Math.max(start, at - WINDOW);
  const to = Math.min(end, at + WINDOW);
  const before = from > start ? '…' : '';
  const shown = `${before}${text.slice(from, to)}${to < end ? '…' : ''}`;
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < start; i = text.indexOf('\n', i + 1)) line++;
  const where = newline >= 0 || start > 0 ? `line ${line}, column ${at - start + 1}` : `column ${at + 1}`;
  return new TypeError(`${what}: ${problem} at ${where}:\n  ${shown}\n  ${' '.repeat(before.length + at - from)}^`);
}

/** How deep function pointer parameters may nest in a declaration. */
const MAX_NESTING = 64;

/** A reader of C declarations over tokens (of one declaration, or of a whole header: cdef.ts's
 * `HeaderParser` extends it with definitions, typedefs and constants). */
export class Parser {
  protected next = 0;
  /** Function pointer parameter lists (and struct bodies) open at `next`. */
  protected depth = 0;
  constructor(
    protected readonly tokens: Token[],
    protected readonly text: string,
    protected readonly what: string,
    protected readonly types: CTypes,
  ) {}

  protected peek(): Token | undefined {
    return this.tokens[this.next];
  }

  protected fail(problem: string, token = this.peek()): TypeError {
    return syntax(this.what, this.text, token?.at ?? this.text.length, token === undefined ? `${problem}, found the end` : problem);
  }

  protected eat(text: string): boolean {
    if (this.peek()?.text !== text) return false;
    this.next++;
    return true;
  }

  protected expect(text: string): void {
    if (!this.eat(text)) throw this.fail(`expected ${describe(text)}${this.peek() ? `, found ${describe(this.peek()!.text)}` : ''}`);
  }

  /** The whole declaration. */
  declaration(): CDeclaration {
    const declared = this.prototype();
    this.eat(';'); // as copied from a header
    if (this.peek() !== undefined) throw this.fail(`unexpected ${describe(this.peek()!.text)} after the declaration`);
    return declared;
  }

  /** A prototype or function pointer type, up to its closing parenthesis. */
  protected prototype(): CDeclaration {
    const { base, abi: leading } = this.specifiers();
    const ret = this.pointers(base);
    let name: string | undefined;
    let abi = leading;
    if (this.eat('(')) {
      abi = this.convention(abi);
      this.expect('*');
      name = this.identifier();
      this.expect(')');
    } else {
      abi = this.convention(abi);
      name = this.identifier();
    }
    this.expect('(');
    const { args, variadic, callbacks } = this.parameters();
    this.expect(')');
    return { name, ret, args, variadic, abi, callbacks };
  }

  /** The convention after a calling convention keyword, if one is next (read), given the one
   * found before: two different ones are an error at the second (`__stdcall __cdecl`). */
  protected convention(before: Abi | undefined): Abi | undefined {
    const token = this.peek();
    if (token === undefined || !Object.hasOwn(CONVENTIONS, token.text)) return before;
    const abi = CONVENTIONS[token.text]!;
    if (before !== undefined && before !== abi) {
      const first = Object.keys(CONVENTIONS).find((word) => CONVENTIONS[word] === before);
      throw this.fail(`conflicting calling conventions ${first} and ${token.text}`);
    }
    this.next++;
    return abi;
  }

  protected identifier(): string | undefined {
    const token = this.peek();
    if (token === undefined || !/^[A-Za-z_]/.test(token.text) || this.isTypeWord(token.text)) return undefined;
    this.next++;
    return token.text;
  }

  protected isTypeWord(word: string): boolean {
    return QUALIFIERS.has(word) || INTEGER_WORDS.has(word) || isNamed(word) || word === 'struct' || word === 'union' || word === 'enum' || Object.hasOwn(CONVENTIONS, word) || Object.hasOwn(this.types, word);
  }

  /** Type specifiers and qualifiers: the base type (before any `*`), whether it is plain or
   * const `char` (a `const char *` is a C string), and a calling convention keyword. */
  protected specifiers(): { base: Base; abi: Abi | undefined } {
    const start = this.peek();
    const words: string[] = [];
    let named: Type | StructType | undefined;
    /** `named` is a character type (`char16_t`, `wchar_t`) or a typedef of one (`typedef char
     * XML_Char`): a `const` pointer to it is this string type. */
    let namedText: TextName | undefined;
    /** `named` is a signature given in the types: a function pointer. */
    let callback: Signature | undefined;
    let isConst = false;
    let abi: Abi | undefined;
    for (let token = this.peek(); token !== undefined; token = this.peek()) {
      const word = token.text;
      if (word === 'const') isConst = true;
      if (QUALIFIERS.has(word)) {
        this.next++;
      } else if (Object.hasOwn(CONVENTIONS, word)) {
        abi = this.convention(abi);
      } else if (INTEGER_WORDS.has(word) && named === undefined) {
        words.push(word);
        this.next++;
      } else if ((word === 'struct' || word === 'union') && named === undefined && words.length === 0) {
        this.next++;
        const tag = this.peek()?.text === '{' ? undefined : this.peek();
        if (tag !== undefined) {
          if (!/^[A-Za-z_]/.test(tag.text)) throw this.fail(`expected a ${word} name`);
          this.next++;
        }
        if (this.peek()?.text === '{') named = this.definition(word, tag, token);
        // A pointer to a struct needs no layout (`struct sqlite3 **`).
        else if (this.pointerFollows()) named = OPAQUE;
        else named = this.structNamed(tag!, word);
      } else if (word === 'enum' && named === undefined && words.length === 0) {
        this.next++;
        named = this.enumeration(token);
      } else if (Object.hasOwn(this.types, word) && named === undefined && words.length === 0) {
        named = this.given(token, word, false);
        namedText = CHAR_ALIASES.get(this.types)?.get(word);
        const given = own(this.types, word);
        callback = isMadeSignature(given) ? given : undefined;
        this.next++;
      } else if (isNamed(word) && named === undefined && words.length === 0) {
        named = namedType(word);
        namedText = Object.hasOwn(TEXT_CHARS, word) ? TEXT_CHARS[word as keyof typeof TEXT_CHARS] : undefined;
        this.next++;
      } else if (named === undefined && words.length === 0 && /^[A-Za-z_]/.test(word) && this.tokens[this.next + 1]?.text === '*') {
        // A type this parser does not know, pointed to (`FILE *`, `CURL *`): a pointer.
        named = OPAQUE;
        this.next++;
      } else {
        break;
      }
    }
    if (named !== undefined) return { base: { type: named, text: namedText, isConst, callback }, abi };
    if (words.length === 0) {
      const token = this.peek();
      throw this.fail(
        token && /^[A-Za-z_]/.test(token.text) ? `unknown type ${describe(token.text)} (give it in the types argument: { ${token.text}: t.… })` : 'expected a type',
        token ?? start,
      );
    }
    return { base: { type: this.integer(words, start!), text: words.length === 1 && words[0] === 'char' ? 'cstring' : undefined, isConst, callback: undefined }, abi };
  }

  /** `struct Tag` (not pointed to): the struct the types give. */
  /** `struct Tag` or `union Tag` (`kind`), not pointed to: the struct or union the types give. */
  protected structNamed(tag: Token, kind: string): Type | StructType {
    return this.given(tag, `${kind} ${tag.text}`, true);
  }

  /** A struct (or union) body at `{`, after `struct Tag`: read by cdef only. */
  protected definition(kind: string, _tag: Token | undefined, at: Token): StructType {
    throw this.fail(`a ${kind} is defined in a cdef() block, not in a declaration`, at);
  }

  /** An enum's type, after `enum`: `enum Tag` is an int (or the type a cdef block gave it); its
   * enumerators are read by cdef only. */
  protected enumeration(at: Token): Type {
    const tag = this.peek();
    if (tag === undefined || tag.text === '{' || tag.text === ':') throw this.fail('an enum is defined in a cdef() block, not in a declaration', at);
    this.next++;
    if (this.peek()?.text === '{' || this.peek()?.text === ':') throw this.fail('an enum is defined in a cdef() block, not in a declaration', at);
    const known: unknown = own(this.types, `enum ${tag.text}`);
    return isType(known) ? known : t.i32;
  }

  /** Whether the next token is a `*` (after the current one was consumed). */
  protected pointerFollows(): boolean {
    return this.peek()?.text === '*';
  }

  /** The type the types argument gives `name` (`struct Point` or `Point`): a struct where the
   * declaration says `struct` (`structOnly`), else any type; a signature is a function pointer. */
  protected given(token: Token, name: string, structOnly: boolean): Type | StructType {
    const tag = name.replace(/^(struct|union) /, '');
    const key = own(this.types, name) !== undefined ? name : tag;
    const type: unknown = own(this.types, key);
    const entry = /^[A-Za-z_$][\w$]*$/.test(key) ? `types.${key}` : `types[${JSON.stringify(key)}]`;
    if (type === undefined) throw this.fail(`unknown struct ${describe(name)} (give it in the types argument: { ${tag}: t.struct(…) })`, token);
    if (isStruct(type)) {
      const union = name.startsWith('union ');
      if (structOnly && union !== type.union) throw this.fail(`${describe(name)} must be a ${union ? 'union' : 'struct'}: ${entry} is ${type.name}`, token);
      return type;
    }
    if (type === INCOMPLETE) {
      // `typedef struct sqlite3 sqlite3;`: only pointed to.
      if (this.tokens[this.next + 1]?.text === '*') return OPAQUE;
      throw this.fail(`${describe(key)} is an incomplete struct: only a pointer to it can be passed`, token);
    }
    // An array typedef: a struct field's type (a parameter of it is a pointer, `parameter`).
    if (isComposite(type) && !structOnly) return type as unknown as StructType;
    const what = isType(type) ? `t.${type.name}` : isComposite(type) ? type.name : isMadeSignature(type) ? `the signature ${String(type)}` : describe(type);
    if (structOnly) {
      const kind = name.startsWith('union ') ? 'union' : 'struct';
      throw this.fail(`${describe(name)} must be a ${kind}: ${entry} is ${what}, not t.${kind}(…)`, token);
    }
    if (isType(type)) {
      if (type === t.void) throw this.fail(`${entry} is t.void, which is only a return type`, token);
      return type;
    }
    if (isMadeSignature(type)) return t.pointer;
    throw this.fail(`${entry} is ${what}: a type (t.i32, t.pointer, …), a t.struct(…) or a signature`, token);
  }

  /** `unsigned long long` and friends. */
  protected integer(words: string[], at: Token): Type {
    const count = (w: string) => words.filter((x) => x === w).length;
    if (count('unsigned') + count('signed') > 1) throw this.fail('signed and unsigned together', at);
    const longs = count('long');
    if (count('char') && words.length !== 1 + count('unsigned') + count('signed')) throw this.fail(`${describe(words.join(' '))} is not a type`, at);
    if (count('short') && longs) throw this.fail('short and long together', at);
    if (longs > 2) throw this.fail('long long long is too long', at);
    if (this.peek()?.text === 'double') throw this.fail('long double is not supported (its size and registers differ by platform)');
    const sign = count('unsigned') ? 'unsigned ' : count('signed') ? 'signed ' : '';
    const base = count('char') ? 'char' : count('short') ? 'short' : ['int', 'long', 'long long'][longs]!;
    return choose(`${sign}${base}` as CSpelling);
  }

  /** `*`s after a base type: a pointer (a `const char *`, a C string). */
  protected pointers(base: Base): Type | StructType {
    let depth = 0;
    while (this.eat('*')) {
      depth++;
      while (this.peek() && QUALIFIERS.has(this.peek()!.text)) this.next++;
    }
    if (depth === 0) return base.type;
    return depth === 1 && base.text !== undefined && base.isConst ? t[base.text] : t.pointer;
  }

  protected parameters(): { args: (Type | StructType)[]; variadic: boolean; callbacks: (CallbackParam | undefined)[] } {
    const args: (Type | StructType)[] = [];
    const callbacks: (CallbackParam | undefined)[] = [];
    if (this.peek()?.text === ')') return { args, variadic: false, callbacks };
    if (this.peek()?.text === 'void' && this.tokens[this.next + 1]?.text === ')') {
      this.next++;
      return { args, variadic: false, callbacks };
    }
    for (;;) {
      if (this.eat('...')) {
        if (args.length === 0) throw this.fail('a variadic function needs a fixed argument before ...', this.tokens[this.next - 1]);
        return { args, variadic: true, callbacks };
      }
      const start = this.peek();
      const { type, callback } = this.parameter();
      args.push(type);
      callbacks.push(callback);
      if (type === t.void) throw this.fail('void is only a return type (or alone: (void))', start);
      if (!this.eat(',')) return { args, variadic: false, callbacks };
    }
  }

  /** One parameter: a type, maybe a name, maybe `[n]` (a pointer, as C adjusts it), or a function
   * pointer (a pointer, with what it is called as: its `callback`). */
  protected parameter(): { type: Type | StructType; callback: CallbackParam | undefined } {
    const { base } = this.specifiers();
    const start = this.next;
    let type = this.pointers(base);
    // A signature typedef is a function pointer; a pointer to one is not.
    const pointed = this.tokens.slice(start, this.next).some((token) => token.text === '*');
    // An array typedef's parameter is a pointer, as C adjusts it.
    if (isComposite(type) && !isStruct(type)) type = t.pointer;
    if (this.eat('(')) {
      const abi = this.convention(undefined);
      this.expect('*');
      this.identifier();
      this.expect(')');
      // Function pointers in parameters nest: bounded before JS's stack is (5,000 levels
      // overflowed it with an error that did not name the declaration).
      if (++this.depth > MAX_NESTING) throw this.fail(`function pointer parameters nest at most ${MAX_NESTING} deep`);
      this.expect('(');
      const { args, variadic, callbacks } = this.parameters();
      this.expect(')');
      this.depth--;
      return { type: t.pointer, callback: { ret: type, args, variadic, abi, callbacks } };
    }
    this.identifier();
    let array = false;
    while (this.eat('[')) {
      if (/^\d+$/.test(this.peek()?.text ?? '')) this.next++;
      this.expect(']');
      type = t.pointer;
      array = true;
    }
    return { type, callback: pointed || array ? undefined : base.callback };
  }
}

/** The typedef names of character types in a types record (cdef.ts marks them), with the string
 * type a `const` pointer to one is (`typedef char XML_Char`: `const XML_Char *` is a C string, as
 * `const char *` is; `typedef wchar_t XML_Char`: a `t.wcstring`). */
const CHAR_ALIASES = new WeakMap<object, Map<string, TextName>>();

/** Marks `name` in `types` as a typedef of a character type whose strings are `text`. */
export function markCharAlias(types: object, name: string, text: TextName): void {
  let names = CHAR_ALIASES.get(types);
  if (names === undefined) CHAR_ALIASES.set(types, (names = new Map()));
  names.set(name, text);
}

/** The char typedefs of `from`, marked in `to` too. */
export function copyCharAliases(from: object, to: object): void {
  for (const [name, text] of CHAR_ALIASES.get(from) ?? []) markCharAlias(to, name, text);
}

/** What a cdef block's `typedef struct Tag Name;` of a struct it never defines gives `Name`: a
 * type only pointed to. */
export const INCOMPLETE: { readonly incomplete: true } = Object.freeze({ incomplete: true });

/** A type known only by name, behind a pointer (its layout is never needed). */
const OPAQUE = t.pointer;

export interface Base {
  type: Type | StructType;
  /** The string type a `const` pointer to it is: plain `char` alone (`cstring`), a wide
   * character type (`TEXT_CHARS`) or a typedef of either; else undefined. */
  text: TextName | undefined;
  isConst: boolean;
  /** A signature given in the types (a function pointer typedef): what it is called as. */
  callback: Signature | undefined;
}

/** Parses a C prototype or function pointer type; errors name `what` and point at the token. */
export function parseDeclaration(text: unknown, types: unknown, what: string): CDeclaration {
  if (typeof text !== 'string') throw new TypeError(`${what}: the declaration must be a string; got ${describe(text)}`);
  if (types !== undefined && (typeof types !== 'object' || types === null || Array.isArray(types))) {
    throw new TypeError(`${what}: the types must be an object of types by name like { Point, HANDLE: t.pointer }; got ${describe(types)}`);
  }
  return new Parser(tokenize(text, what), text, what, (types ?? {}) as CTypes).declaration();
}
