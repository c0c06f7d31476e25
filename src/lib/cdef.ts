// cdef(header): a block of C declarations as a header writes them — typedefs, struct and enum
// definitions, #define'd integer constants, object-like macros, comments, prototypes — read into
// a record of types and constants usable as the `types` of any declaration, and lib.cdef's
// functions. The declarations themselves are read by c-decl.ts's parser; this file adds what only
// a header has. Errors point at the line and column in the block.
import { type Base, copyCharAliases, type CTypes, INCOMPLETE, markCharAlias, Parser, type Token, tokenize } from './c-decl.js';
import type { BlockReading, Flat } from './cdef-reading.js';
import { type Signature, signatureOf } from './signature.js';
import { array, type FieldType, isComposite, struct, type StructType, union } from './struct.js';
import { describe, isText, isType, t, type Type } from './types.js';

/** What a cdef block declares: its types (typedef names; `struct Tag` and `enum Tag` for tags)
 * and constants by name, and its functions' signatures. */
export interface CBlock {
  readonly types: Readonly<Record<string, Type | StructType | Signature | FieldType>>;
  readonly constants: Readonly<Record<string, number | bigint>>;
  readonly functions: Readonly<Record<string, Signature>>;
}

/** How deep struct bodies may nest. */
const MAX_NESTING = 64;

/** The reader of a header: c-decl's parser with definitions, typedefs and constants. */
class HeaderParser extends Parser {
  constructor(
    tokens: Token[],
    text: string,
    what: string,
    private readonly scope: Record<string, unknown>,
    private readonly constants: Record<string, number | bigint>,
  ) {
    super(tokens, text, what, scope as CTypes);
  }

  /** Whether every token was read. */
  atEnd(): boolean {
    return this.peek() === undefined;
  }

  /** Every statement of the block, into `block`. */
  read(block: { functions: Record<string, Signature> }): void {
    while (this.peek() !== undefined) {
      if (this.eat(';')) continue;
      const start = this.peek()!;
      if (this.eat('typedef')) this.typedef();
      else if (this.isFunction()) this.function(start, block.functions);
      else this.definitionAlone(start);
    }
  }

  /** Whether the statement at `next` has a parameter list before its `;` (outside braces). */
  private isFunction(): boolean {
    let braces = 0;
    for (let i = this.next; i < this.tokens.length; i++) {
      const text = this.tokens[i]!.text;
      if (text === '{') braces++;
      else if (text === '}') braces--;
      else if (braces === 0 && text === ';') return false;
      else if (braces === 0 && text === '(') return true;
    }
    return false;
  }

  private function(start: Token, functions: Record<string, Signature>): void {
    const declared = this.prototype();
    this.expect(';');
    if (declared.name === undefined) throw this.fail('a function declaration needs its name', start);
    functions[declared.name] = signatureOf(declared);
  }

  /** `struct Tag { … };` or `enum Tag { … };` (whose tag and constants are now known), or a
   * forward declaration (`struct internal_state;`), which says nothing a pointer needs. */
  private definitionAlone(start: Token): void {
    const [kind, tag, end] = [this.peek()?.text, this.tokens[this.next + 1], this.tokens[this.next + 2]?.text];
    if ((kind === 'struct' || kind === 'union') && tag !== undefined && /^[A-Za-z_]/.test(tag.text) && end === ';') {
      this.next += 3;
      return;
    }
    this.specifiers();
    if (this.peek()?.text !== ';') {
      throw this.fail('a variable is not read (only types, constants and functions are: use lib.symbol for its address)', this.peek() ?? start);
    }
    this.next++;
  }

  /** Reading a typedef's type (where `struct Tag` may be incomplete). */
  private inTypedef = false;

  /** `typedef <type> <declarator>, …;`: each name becomes a type of the block. */
  private typedef(): void {
    this.inTypedef = true;
    const { base } = this.specifiers();
    this.inTypedef = false;
    do {
      const { name, type, at } = this.declarator(base);
      if (name === undefined) throw this.fail('expected the name a typedef gives', at);
      this.scope[name] = type;
      if (base.text !== undefined && type === base.type) markCharAlias(this.scope, name, base.text);
    } while (this.eat(','));
    this.expect(';');
  }

  /** A declarator of a typedef or field: pointers, a name, array sizes, or a function pointer
   * `(*name)(parameters)`, whose type is its signature. */
  private declarator(base: Base): { name: string | undefined; type: Type | StructType | FieldType | Signature; at: Token | undefined } {
    const ret = this.pointers(base);
    const at = this.peek();
    if (this.eat('(')) {
      const abi = this.convention(undefined);
      this.expect('*');
      const pointers = this.eat('*');
      const name = this.identifier();
      this.expect(')');
      this.expect('(');
      const { args, variadic, callbacks } = this.parameters();
      this.expect(')');
      const fn = signatureOf({ ret, args, variadic, abi, callbacks });
      return { name, type: pointers ? t.pointer : fn, at };
    }
    const name = this.identifier();
    const sizes: number[] = [];
    while (this.eat('[')) {
      const sizeAt = this.peek();
      const size = this.expression();
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) throw this.fail(`an array size must be a positive integer; this one is ${size}`, sizeAt);
      sizes.push(size);
      this.expect(']');
    }
    let type: Type | StructType | FieldType = ret;
    for (const size of sizes.reverse()) {
      if (type === t.void) throw this.fail('an array of void', at);
      type = array(type as FieldType, size);
    }
    return { name, type, at };
  }

  /** `struct Tag` of a tag the block has not defined: in a typedef (`typedef struct sqlite3
   * sqlite3;`) an incomplete type, only pointed to. */
  protected override structNamed(tag: Token, kind: string): Type | StructType {
    const known = this.scope[`${kind} ${tag.text}`] ?? this.scope[tag.text];
    if (known === undefined && this.inTypedef) return INCOMPLETE as unknown as StructType;
    return super.structNamed(tag, kind);
  }

  /** A struct or union body at `{`: its fields, laid out as the platform's C compiler does. */
  protected override definition(kind: string, tag: Token | undefined, at: Token): StructType {
    this.expect('{');
    // A field's struct must be complete, in a typedef's struct too.
    const inTypedef = this.inTypedef;
    this.inTypedef = false;
    if (++this.depth > MAX_NESTING) throw this.fail(`struct bodies nest at most ${MAX_NESTING} deep`);
    const fields: Record<string, FieldType> = {};
    while (!this.eat('}')) {
      const { base } = this.specifiers();
      do {
        const { name, type, at: fieldAt } = this.declarator(base);
        if (name === undefined) throw this.fail('expected a field name', fieldAt);
        if (this.peek()?.text === ':') throw this.fail('bit-fields are not supported (their layout is the compiler\'s choice)');
        if (type === t.void) throw this.fail(`field ${name} is void`, fieldAt);
        if (Object.hasOwn(fields, name)) throw this.fail(`field ${name} is declared twice`, fieldAt);
        // A function pointer field holds an address; so does a `const char *` (or wide string)
        // field: a struct outlives any call, and a C string's memory would not
        // (memory.readCString reads it).
        fields[name] = isSignatureType(type) || isText(type) ? t.pointer : (type as FieldType);
      } while (this.eat(','));
      this.expect(';');
    }
    this.depth--;
    this.inTypedef = inTypedef;
    if (Object.keys(fields).length === 0) throw this.fail(`a ${kind} needs at least one field`, at);
    const type = kind === 'union' ? union(fields) : struct(fields);
    if (tag !== undefined) this.scope[`${kind} ${tag.text}`] = type;
    return type;
  }

  /** `enum Tag : type { A, B = 4, … }`: an int (or the fixed type), its enumerators constants. */
  protected override enumeration(at: Token): Type {
    const tag = this.peek()?.text === '{' || this.peek()?.text === ':' ? undefined : this.peek();
    if (tag !== undefined) this.next++;
    let type: Type | undefined;
    if (this.eat(':')) {
      const fixedAt = this.peek();
      const fixed = this.specifiers().base.type;
      if (!isType(fixed) || !/^[iu]\d+$/.test(fixed.name)) throw this.fail('an enum\'s fixed type is an integer type', fixedAt);
      type = fixed;
    }
    if (!this.eat('{')) {
      if (tag === undefined) throw this.fail('expected an enum name or body', at);
      const known: unknown = this.scope[`enum ${tag.text}`];
      return isType(known) ? known : (type ?? t.i32);
    }
    let value = 0n;
    let min = 0n;
    let max = 0n;
    while (!this.eat('}')) {
      const nameAt = this.peek();
      const name = this.identifier();
      if (name === undefined) throw this.fail('expected an enumerator name');
      if (this.eat('=')) value = BigInt(this.expression());
      this.constants[name] = Number.isSafeInteger(Number(value)) ? Number(value) : value;
      if (value < min) min = value;
      if (value > max) max = value;
      value++;
      if (!this.eat(',')) {
        this.expect('}');
        break;
      }
      void nameAt;
    }
    // C's enums are int; gcc makes one with a value beyond int but within unsigned int unsigned.
    if (type === undefined) {
      if (min >= -(2n ** 31n) && max < 2n ** 31n) type = t.i32;
      else if (min >= 0n && max < 2n ** 32n) type = t.u32;
      else throw this.fail('enumerators beyond int and unsigned int: give the enum a fixed type (enum Tag : int64_t)', at);
    }
    if (tag !== undefined) this.scope[`enum ${tag.text}`] = type;
    return type;
  }

  /** An integer constant expression: literals, constants of the block, `( )`, unary `-` and `~`,
   * `+ - << |` with C's precedence. */
  expression(): number | bigint {
    const value = this.or();
    return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }

  private or(): bigint {
    let value = this.shift();
    while (this.eat('|')) value |= this.shift();
    return value;
  }

  private shift(): bigint {
    let value = this.sum();
    while (this.eat('<<')) value <<= this.sum();
    return value;
  }

  private sum(): bigint {
    let value = this.unary();
    for (;;) {
      if (this.eat('+')) value += this.unary();
      else if (this.eat('-')) value -= this.unary();
      else return value;
    }
  }

  private unary(): bigint {
    if (this.eat('-')) return -this.unary();
    if (this.eat('~')) return ~this.unary();
    if (this.eat('(')) {
      const value = this.or();
      this.expect(')');
      return value;
    }
    const token = this.peek();
    if (token !== undefined && /^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.test(token.text)) {
      this.next++;
      const digits = token.text.replace(/[uUlL]+$/, '');
      return /^0\d/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
    }
    if (token !== undefined && Object.hasOwn(this.constants, token.text)) {
      this.next++;
      return BigInt(this.constants[token.text]!);
    }
    throw this.fail(token === undefined ? 'expected an integer constant' : `expected an integer constant, found ${describe(token.text)}`);
  }
}

function isSignatureType(type: unknown): type is Signature {
  return typeof type === 'object' && type !== null && !isType(type) && !isComposite(type) && 'args' in type;
}

/** A preprocessor line of the block: an object-like macro (`#define NAME …`), or a line to skip. */
const DIRECTIVE = /^[ \t]*#[ \t]*(\w+)(.*)$/gm;

/**
 * Reads a block of C declarations. Comments are skipped; `#define NAME <integer expression>`
 * makes a constant, another object-like `#define` (`#define XMLCALL`, `#define API __cdecl`)
 * replaces its name by its tokens in what follows, and every other preprocessor line (`#include`,
 * `#ifdef`, function-like macros) is skipped: the block is read as the compiler would see it with
 * no condition set. `types` gives names the block uses but does not define.
 */
export function readBlock(header: unknown, types: unknown, what: string): CBlock {
  if (typeof header !== 'string') throw new TypeError(`${what}: the declarations must be a string; got ${describe(header)}`);
  if (types !== undefined && (typeof types !== 'object' || types === null || Array.isArray(types))) {
    throw new TypeError(`${what}: the types must be an object of types by name like { Point, HANDLE: t.pointer }; got ${describe(types)}`);
  }
  // Comments and preprocessor lines become spaces: every other character keeps its place, so
  // that errors point into the block as written.
  const blank = (match: string) => match.replace(/[^\n]/g, ' ');
  const uncommented = header.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, blank);
  const directives: { name: string; start: number; end: number }[] = [];
  const text = uncommented.replace(DIRECTIVE, (line, directive: string, rest: string, offset: number) => {
    const macro = /^[ \t]+([A-Za-z_]\w*)(?![\w(])/.exec(rest);
    if (directive === 'define' && macro) {
      const start = offset + line.length - rest.length + macro.index + macro[0].length;
      directives.push({ name: macro[1]!, start, end: offset + line.length });
    }
    return blank(line);
  });
  const scope: Record<string, unknown> = { ...(types as Record<string, unknown> | undefined) };
  if (types !== undefined) copyCharAliases(types, scope);
  const constants: Record<string, number | bigint> = {};
  const macros = new Map<string, Token[]>();
  for (const { name, start, end } of directives) {
    let body: Token[];
    try {
      body = tokenize(uncommented, what, start, end);
    } catch {
      continue; // a string or character constant: not C this block reads
    }
    const reader = new HeaderParser(body, header, what, scope, constants);
    try {
      const value = body.length === 0 ? undefined : reader.expression();
      if (value !== undefined && reader.atEnd()) {
        constants[name] = value;
        continue;
      }
    } catch {
      // Not an integer expression: a macro of tokens.
    }
    macros.set(name, body);
  }
  const tokens = tokenize(text, what).flatMap((token) => macros.get(token.text)?.map((inner) => ({ text: inner.text, at: token.at })) ?? [token]);
  const functions: Record<string, Signature> = {};
  // Errors show the block as written (comments and directives are where they were).
  new HeaderParser(tokens, header, what, scope, constants).read({ functions });
  for (const name of Object.keys(types ?? {})) delete scope[name];
  return { types: scope as CBlock['types'], constants, functions };
}


/** What cdef() gives: each typedef (a type, a struct, an array type, or a signature for a
 * function pointer typedef), each tag (`'struct Tag'`, `'enum Tag'`) and each constant by name. */
export type CDefinitions = Readonly<Record<string, Type | StructType | FieldType | Signature | number | bigint>>;

/** What `cdef(header, types)` gives as TypeScript reads a literal block (cdef-reading.ts): each
 * name it defines, typed where the reader follows it; the loose `CDefinitions` otherwise. */
export type CdefOf<H extends string, T extends CTypes> = BlockReading<H, T> extends { definitions: infer D } ? Flat<D> : CDefinitions;

/** What `lib.cdef(header, types)` gives: `cdef`'s record and a function per prototype, typed where
 * the reader follows them; a record of `any` otherwise. */
export type LibraryCdefOf<H extends string, T extends CTypes> = BlockReading<H, T> extends { definitions: infer D; functions: infer F } ? Flat<D & F> : Readonly<Record<string, any>>;

/**
 * The types and constants of a block of C declarations, as a header writes them (`readBlock`):
 * usable as the `types` of `sig.c` and `lib.fn` declarations (and of another block), its function
 * pointer typedefs signatures for `new BareFn`. Prototypes in it are read (and checked) but give
 * nothing here: `lib.cdef` makes them functions of a library.
 */
export function cdef<const H extends string, const T extends CTypes = Record<never, never>>(header: H, types?: T): CdefOf<H, T> {
  const block = readBlock(header, types, 'cdef');
  const record = Object.freeze({ ...block.types, ...block.constants });
  copyCharAliases(block.types, record);
  return record as CdefOf<H, T>;
}
