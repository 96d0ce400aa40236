/**
 * Where a JSON text stops being JSON. `JSON.parse` names a position for most syntax errors but not for an unexpected
 * token (`Unexpected token '}', "..." is not valid JSON`) nor for a text that ends early; operators need a line and a
 * column for every one. This scanner walks the RFC 8259 grammar once, with an explicit stack (no recursion, so a
 * deeply nested file cannot overflow it), and is only run on a text `JSON.parse` already refused.
 */

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS = ['true', 'false', 'null'] as const;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX = /^[0-9a-fA-F]$/;

type Expect = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'after-value';

/**
 * The offset (in UTF-16 code units, as `text` is indexed) of the first character that makes `text` invalid JSON, or
 * undefined when it is valid. An early end is reported at `text.length`.
 *
 * @example
 * jsonErrorOffset('{"a": tru}'); // 9: the "}" where "true" should go on
 * jsonErrorOffset('{"a": 1}');   // undefined
 */
export function jsonErrorOffset(text: string): number | undefined {
  const stack: ('{' | '[')[] = [];
  let expect: Expect = 'value';
  let i = 0;
  for (;;) {
    while (i < text.length && WHITESPACE.has(text[i]!)) i += 1;
    const char = text[i];
    switch (expect) {
      case 'value':
      case 'value-or-close': {
        if (char === undefined) return i;
        if (expect === 'value-or-close' && char === ']') {
          stack.pop();
          i += 1;
          expect = 'after-value';
        } else if (char === '{' || char === '[') {
          stack.push(char);
          i += 1;
          expect = char === '{' ? 'key-or-close' : 'value-or-close';
        } else {
          const end = scalarEnd(text, i);
          if (end.error !== undefined) return end.error;
          i = end.next;
          expect = 'after-value';
        }
        break;
      }
      case 'key':
      case 'key-or-close': {
        if (char === undefined) return i;
        if (expect === 'key-or-close' && char === '}') {
          stack.pop();
          i += 1;
          expect = 'after-value';
          break;
        }
        if (char !== '"') return i;
        const end = stringEnd(text, i);
        if (end.error !== undefined) return end.error;
        i = end.next;
        expect = 'colon';
        break;
      }
      case 'colon':
        if (char !== ':') return i;
        i += 1;
        expect = 'value';
        break;
      case 'after-value': {
        const open = stack.at(-1);
        if (open === undefined) return char === undefined ? undefined : i;
        if (char === ',') {
          i += 1;
          expect = open === '{' ? 'key' : 'value';
        } else if (char === (open === '{' ? '}' : ']')) {
          stack.pop();
          i += 1;
        } else {
          return i;
        }
        break;
      }
    }
  }
}

type Scan = { next: number; error?: undefined } | { error: number };

function scalarEnd(text: string, start: number): Scan {
  const char = text[start];
  if (char === '"') return stringEnd(text, start);
  for (const literal of LITERALS) {
    if (char !== literal[0]) continue;
    for (let k = 1; k < literal.length; k += 1) {
      if (text[start + k] !== literal[k]) return { error: start + k };
    }
    return { next: start + literal.length };
  }
  NUMBER.lastIndex = start;
  const number = NUMBER.exec(text);
  if (number === null) return { error: char === '-' ? start + 1 : start };
  return { next: start + number[0].length };
}

function stringEnd(text: string, start: number): Scan {
  let i = start + 1;
  for (;;) {
    const char = text[i];
    if (char === undefined) return { error: i };
    if (char === '"') return { next: i + 1 };
    if (char.charCodeAt(0) < 0x20) return { error: i };
    if (char !== '\\') {
      i += 1;
      continue;
    }
    const escaped = text[i + 1];
    if (escaped !== undefined && ESCAPES.has(escaped)) {
      i += 2;
    } else if (escaped === 'u') {
      for (let k = 2; k < 6; k += 1) {
        if (!HEX.test(text[i + k] ?? '')) return { error: i + k };
      }
      i += 6;
    } else {
      return { error: i + 1 };
    }
  }
}
