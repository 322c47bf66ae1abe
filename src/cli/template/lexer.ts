/**
 * The lexer of Go's text/template: text, `{{`/`}}` with `{{- ` and ` -}}` trim markers, comments,
 * and the tokens inside actions.
 */

export type ItemType =
  | 'error'
  | 'eof'
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'field'
  | 'identifier'
  | 'variable'
  | 'string'
  | 'rawString'
  | 'char'
  | 'charConstant'
  | 'number'
  | 'bool'
  | 'nil'
  | 'dot'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare'
  | 'assign'
  | 'comment'
  // keywords
  | 'block'
  | 'break'
  | 'continue'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'range'
  | 'template'
  | 'with';

export interface Item {
  readonly type: ItemType;
  readonly pos: number;
  readonly val: string;
  readonly line: number;
}

const keywords: Record<string, ItemType> = {
  block: 'block',
  break: 'break',
  continue: 'continue',
  define: 'define',
  else: 'else',
  end: 'end',
  if: 'if',
  range: 'range',
  template: 'template',
  with: 'with',
  nil: 'nil',
  true: 'bool',
  false: 'bool',
};

const keywordTypes = new Set<ItemType>(['block', 'break', 'continue', 'dot', 'define', 'else', 'end', 'if', 'nil', 'range', 'template', 'with']);

/** How Go prints a token in parse errors. */
export function itemString(i: Item): string {
  if (i.type === 'eof') return 'EOF';
  if (i.type === 'error') return i.val;
  if (keywordTypes.has(i.type)) return `<${i.val}>`;
  if (i.val.length > 10) return `${goQuote(i.val.slice(0, 10))}...`;
  return goQuote(i.val);
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

const leftDelim = '{{';
const rightDelim = '}}';
const leftComment = '/*';
const rightComment = '*/';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlphaNumeric(c: string | undefined): boolean {
  return c !== undefined && (c === '_' || /[\p{L}\p{Nd}]/u.test(c));
}

/** Tokenizes the whole template; the last item is `eof` or `error`. */
export function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;
  let insideAction = false;

  const emit = (type: ItemType) => {
    items.push({ type, pos: start, val: input.slice(start, pos), line: startLine });
    start = pos;
    startLine = line;
  };
  const ignore = () => {
    line += count(input.slice(start, pos), '\n');
    start = pos;
    startLine = line;
  };
  const advance = (n: number) => {
    line += count(input.slice(pos, pos + n), '\n');
    pos += n;
  };
  const error = (msg: string) => {
    items.push({ type: 'error', pos: start, val: msg, line: startLine });
  };

  const backup = () => {
    pos--;
    if (input[pos] === '\n') line--;
  };

  // Returns false at the end of input.
  const lexText = (): boolean => {
    const x = input.indexOf(leftDelim, pos);
    if (x < 0) {
      advance(input.length - pos);
      if (pos > start) emit('text');
      items.push({ type: 'eof', pos, val: '', line });
      return false;
    }
    const trimLength = hasLeftTrimMarker(input.slice(x + leftDelim.length)) ? rightTrimLength(input.slice(start, x)) : 0;
    const textEnd = x - trimLength;
    if (textEnd > start) items.push({ type: 'text', pos: start, val: input.slice(start, textEnd), line: startLine });
    advance(x - pos);
    start = pos;
    startLine = line;
    return true;
  };

  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (input.startsWith(' -' + rightDelim, pos) || input.startsWith('\t-' + rightDelim, pos) || input.startsWith('\r-' + rightDelim, pos) || input.startsWith('\n-' + rightDelim, pos)) {
      return { delim: true, trim: true };
    }
    if (input.startsWith(rightDelim, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };

  const lexLeftDelim = (): boolean => {
    advance(leftDelim.length);
    const trim = hasLeftTrimMarker(input.slice(pos));
    const afterMarker = trim ? 2 : 0;
    if (input.startsWith(leftComment, pos + afterMarker)) {
      advance(afterMarker);
      ignore();
      return lexComment();
    }
    emit('leftDelim');
    advance(afterMarker);
    ignore();
    parenDepth = 0;
    insideAction = true;
    return true;
  };

  const lexComment = (): boolean => {
    advance(leftComment.length);
    const x = input.indexOf(rightComment, pos);
    if (x < 0) {
      error('unclosed comment');
      return false;
    }
    advance(x + rightComment.length - pos);
    const { delim, trim } = atRightDelim();
    if (!delim) {
      error('comment ends before closing delimiter');
      return false;
    }
    emit('comment');
    if (trim) advance(2);
    advance(rightDelim.length);
    if (trim) skipLeadingSpace();
    ignore();
    return true;
  };

  const skipLeadingSpace = () => {
    while (pos < input.length && isSpace(input[pos])) advance(1);
  };

  const lexRightDelim = (trim: boolean) => {
    if (trim) {
      advance(1);
      ignore();
      advance(1);
      ignore();
    }
    advance(rightDelim.length);
    emit('rightDelim');
    if (trim) {
      skipLeadingSpace();
      ignore();
    }
    insideAction = false;
  };

  const lexInsideAction = (): boolean => {
    const { delim, trim } = atRightDelim();
    if (delim) {
      if (parenDepth === 0) {
        lexRightDelim(trim);
        return true;
      }
      error('unclosed left paren');
      return false;
    }
    const r = input[pos];
    if (r === undefined) {
      error('unclosed action');
      return false;
    }
    if (isSpace(r)) {
      let n = 0;
      while (isSpace(input[pos])) {
        advance(1);
        n++;
      }
      // A space followed by `-}}` belongs to the trim marker.
      if (isSpace(input[pos - 1]) && input[pos] === '-' && input.startsWith(rightDelim, pos + 1)) {
        backup();
        if (n === 1) return true;
      }
      emit('space');
      return true;
    }
    if (r === '=') {
      advance(1);
      emit('assign');
      return true;
    }
    if (r === ':') {
      if (input[pos + 1] !== '=') {
        advance(1);
        error('expected :=');
        return false;
      }
      advance(2);
      emit('declare');
      return true;
    }
    if (r === '|') {
      advance(1);
      emit('pipe');
      return true;
    }
    if (r === '"') return lexQuote();
    if (r === '`') return lexRawQuote();
    if (r === '$') return lexVariable();
    if (r === "'") return lexChar();
    if (r === '.') {
      const n = input[pos + 1];
      if (n !== undefined && n >= '0' && n <= '9') return lexNumber();
      return lexField();
    }
    if (r === '+' || r === '-' || (r >= '0' && r <= '9')) return lexNumber();
    if (isAlphaNumeric(r)) return lexIdentifier();
    if (r === '(') {
      advance(1);
      emit('leftParen');
      parenDepth++;
      return true;
    }
    if (r === ')') {
      advance(1);
      emit('rightParen');
      parenDepth--;
      if (parenDepth < 0) {
        error('unexpected right paren');
        return false;
      }
      return true;
    }
    const cp = input.codePointAt(pos)!;
    if (cp <= 0x7f && cp >= 0x20 && cp !== 0x7f) {
      advance(1);
      emit('char');
      return true;
    }
    error(`unrecognized character in action: ${formatRune(cp)}`);
    return false;
  };

  const atTerminator = (): boolean => {
    const r = input[pos];
    if (r === undefined || isSpace(r)) return true;
    if ('.,|:)('.includes(r)) return true;
    return input.startsWith(rightDelim, pos);
  };

  const lexIdentifier = (): boolean => {
    while (isAlphaNumeric(input[pos])) advance(1);
    if (!atTerminator()) {
      error(`bad character ${formatRune(input.codePointAt(pos)!)}`);
      return false;
    }
    const word = input.slice(start, pos);
    const kw = keywords[word];
    if (kw !== undefined) emit(kw);
    else if (word[0] === '.') emit('field');
    else emit('identifier');
    return true;
  };

  const lexFieldOrVariable = (type: 'field' | 'variable'): boolean => {
    advance(1);
    if (atTerminator()) {
      emit(type === 'variable' ? 'variable' : 'dot');
      return true;
    }
    while (isAlphaNumeric(input[pos])) advance(1);
    if (!atTerminator()) {
      error(`bad character ${formatRune(input.codePointAt(pos)!)}`);
      return false;
    }
    emit(type);
    return true;
  };

  const lexField = () => lexFieldOrVariable('field');
  const lexVariable = () => lexFieldOrVariable('variable');

  const lexChar = (): boolean => {
    advance(1);
    for (;;) {
      const r = input[pos];
      if (r === '\\') {
        advance(2);
        continue;
      }
      if (r === undefined || r === '\n') {
        error('unterminated character constant');
        return false;
      }
      advance(r.length);
      if (r === "'") break;
    }
    emit('charConstant');
    return true;
  };

  const lexQuote = (): boolean => {
    advance(1);
    for (;;) {
      const r = input[pos];
      if (r === '\\') {
        if (input[pos + 1] === undefined || input[pos + 1] === '\n') {
          error('unterminated quoted string');
          return false;
        }
        advance(2);
        continue;
      }
      if (r === undefined || r === '\n') {
        error('unterminated quoted string');
        return false;
      }
      advance(1);
      if (r === '"') break;
    }
    emit('string');
    return true;
  };

  const lexRawQuote = (): boolean => {
    const end = input.indexOf('`', pos + 1);
    if (end < 0) {
      error('unterminated raw quoted string');
      return false;
    }
    advance(end + 1 - pos);
    emit('rawString');
    return true;
  };

  const lexNumber = (): boolean => {
    const m = /^[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?)i?/.exec(input.slice(pos));
    const text = m ? m[0] : '';
    advance(text.length);
    if (text === '' || text === '+' || text === '-' || isAlphaNumeric(input[pos])) {
      while (isAlphaNumeric(input[pos]) || input[pos] === '.') advance(1);
      error(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
      return false;
    }
    emit('number');
    return true;
  };

  for (;;) {
    if (!insideAction) {
      if (!lexText()) break;
      if (!lexLeftDelim()) break;
      continue;
    }
    if (!lexInsideAction()) break;
  }
  return items;
}

function hasLeftTrimMarker(s: string): boolean {
  return s.length >= 2 && s[0] === '-' && isSpace(s[1]);
}

function rightTrimLength(s: string): number {
  return s.length - s.replace(/[ \t\r\n]+$/, '').length;
}

function count(s: string, c: string): number {
  let n = 0;
  for (let i = s.indexOf(c); i >= 0; i = s.indexOf(c, i + 1)) n++;
  return n;
}

/** Go's %#U: `U+007D '}'`. */
export function formatRune(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  const ch = String.fromCodePoint(cp);
  return /\P{C}/u.test(ch) ? `U+${hex} '${ch}'` : `U+${hex}`;
}
