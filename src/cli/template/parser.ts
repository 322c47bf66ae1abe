/** The parser of Go's text/template: a tree of nodes, with Go's parse error wording. */
import { itemString, lex, type Item, type ItemType } from './lexer.js';
import { nodeString, type CommandNode, type IfNode, type ListNode, type Node, type NumberNode, type PipeNode, type RangeNode, type WithNode } from './nodes.js';
import { unquote } from './unquote.js';

export { nodeString } from './nodes.js';
export type * from './nodes.js';

/** `{{end}}` or `{{else}}`, which close a list. */
type Marker = { type: 'end'; pos: number; line: number } | { type: 'else'; pos: number; line: number };

/** A parse failure; the message is Go's (`template: name:line: …`). */
export class TemplateParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateParseError';
  }
}

export interface ParsedTemplate {
  readonly name: string;
  readonly text: string;
  readonly root: ListNode;
  readonly defines: Map<string, ListNode>;
}

/** Parses `text`; `funcs` is the set of function names the template may call. */
export function parse(text: string, funcs: ReadonlySet<string>, name = ''): ParsedTemplate {
  return new Parser(text, funcs, name).parse();
}

class Parser {
  private readonly items: Item[];
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private actionLine = 0;
  private lastLine = 1;
  private readonly defines = new Map<string, ListNode>();

  constructor(
    private readonly text: string,
    private readonly funcs: ReadonlySet<string>,
    private readonly name: string,
  ) {
    this.items = lex(text);
  }

  parse(): ParsedTemplate {
    const root: ListNode = { type: 'list', pos: 0, nodes: [] };
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const delim = this.next();
        if (this.nextNonSpace().type === 'define') {
          this.parseDefinition();
          continue;
        }
        this.i = this.items.indexOf(delim);
      }
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${n.type === 'end' ? '{{end}}' : '{{else}}'}`);
      else if (n.type !== 'comment') root.nodes.push(n as Node);
    }
    return { name: this.name, text: this.text, root, defines: this.defines };
  }

  // --- token stream ---
  private peek(): Item {
    return this.items[this.i] ?? this.items[this.items.length - 1]!;
  }

  private next(): Item {
    const it = this.peek();
    if (this.i < this.items.length) this.i++;
    this.lastLine = it.line;
    return it;
  }

  private backup(n = 1): void {
    this.i -= n;
  }

  private nextNonSpace(): Item {
    let it: Item;
    do it = this.next();
    while (it.type === 'space');
    return it;
  }

  private peekNonSpace(): Item {
    const it = this.nextNonSpace();
    this.backup();
    return it;
  }

  private errorf(msg: string, line = this.lastLine): never {
    throw new TemplateParseError(`template: ${this.name}:${line}: ${msg}`);
  }

  private expect(type: ItemType, context: string): Item {
    const it = this.nextNonSpace();
    if (it.type !== type) this.unexpected(it, context);
    return it;
  }

  private unexpected(it: Item, context: string): never {
    if (it.type === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== it.line) {
        extra = ` in action started at ${this.name}:${this.actionLine}`;
        if (it.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(`${it.val}${extra}`, it.line);
    }
    this.errorf(`unexpected ${itemString(it)} in ${context}`, it.line);
  }

  // --- structure ---
  private parseDefinition(): void {
    const nameTok = this.expectOneOf(['string', 'rawString'], 'define clause');
    const name = unquote(nameTok.val, () => this.errorf(`bad string syntax: ${nameTok.val}`));
    this.expect('rightDelim', 'define clause');
    const [list, end] = this.itemList();
    if (end.type !== 'end') this.errorf('unexpected {{else}} in define clause');
    this.defines.set(name, list);
  }

  private expectOneOf(types: ItemType[], context: string): Item {
    const it = this.nextNonSpace();
    if (!types.includes(it.type)) this.unexpected(it, context);
    return it;
  }

  private itemList(): [ListNode, Marker] {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      if (n.type !== 'comment') list.nodes.push(n as Node);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | Marker | { type: 'comment' } {
    const it = this.nextNonSpace();
    switch (it.type) {
      case 'text':
        return { type: 'text', pos: it.pos, text: it.val };
      case 'leftDelim': {
        this.actionLine = it.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      }
      case 'comment':
        return { type: 'comment' };
      default:
        this.unexpected(it, 'input');
    }
  }

  private action(): Node | Marker {
    const it = this.nextNonSpace();
    switch (it.type) {
      case 'block':
        return this.blockControl();
      case 'break':
        return this.breakControl(it, 'break');
      case 'continue':
        return this.breakControl(it, 'continue');
      case 'else':
        return this.elseControl();
      case 'end':
        this.expect('rightDelim', 'end');
        return { type: 'end', pos: it.pos, line: it.line };
      case 'if':
        return this.branch('if');
      case 'range':
        return this.branch('range');
      case 'template':
        return this.templateControl();
      case 'with':
        return this.branch('with');
      default:
        break;
    }
    this.backup();
    const tok = this.peek();
    return { type: 'action', pos: tok.pos, line: tok.line, pipe: this.pipeline('command', 'rightDelim') };
  }

  private breakControl(it: Item, kind: 'break' | 'continue'): Node {
    const tok = this.nextNonSpace();
    if (tok.type !== 'rightDelim') this.unexpected(tok, `{{${kind}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${kind}}} outside {{range}}`);
    return { type: kind, pos: it.pos };
  }

  private elseControl(): Marker {
    const p = this.peekNonSpace();
    if (p.type === 'if' || p.type === 'with') return { type: 'else', pos: p.pos, line: p.line };
    const tok = this.expect('rightDelim', 'else');
    return { type: 'else', pos: tok.pos, line: tok.line };
  }

  private branch(context: 'if' | 'range' | 'with'): IfNode | RangeNode | WithNode {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      let list: ListNode;
      let next: Marker;
      try {
        [list, next] = this.itemList();
      } finally {
        if (context === 'range') this.rangeDepth--;
      }
      let elseList: ListNode | null = null;
      if (next.type === 'else') {
        if (context === 'if' && this.peek().type === 'if') {
          this.next();
          elseList = { type: 'list', pos: next.pos, nodes: [this.branch('if')] };
        } else if (context === 'with' && this.peek().type === 'with') {
          this.next();
          elseList = { type: 'list', pos: next.pos, nodes: [this.branch('with')] };
        } else {
          let end;
          [elseList, end] = this.itemList();
          if (end.type !== 'end') this.errorf('expected end; found {{else}}');
        }
      }
      return { type: context, pos: pipe.pos, line: pipe.line, pipe, list, elseList } as IfNode | RangeNode | WithNode;
    } finally {
      this.vars.length = mark;
    }
  }

  private blockControl(): Node {
    const context = 'block clause';
    const tok = this.nextNonSpace();
    const name = this.parseTemplateName(tok, context);
    const pipe = this.pipeline(context, 'rightDelim');
    const [list, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected {{else}} in ${context}`);
    this.defines.set(name, list);
    return { type: 'template', pos: tok.pos, line: tok.line, name, pipe };
  }

  private templateControl(): Node {
    const context = 'template clause';
    const tok = this.nextNonSpace();
    const name = this.parseTemplateName(tok, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { type: 'template', pos: tok.pos, line: tok.line, name, pipe };
  }

  private parseTemplateName(tok: Item, context: string): string {
    if (tok.type === 'string' || tok.type === 'rawString') return unquote(tok.val, () => this.errorf(`bad string syntax: ${tok.val}`));
    this.unexpected(tok, context);
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const token = this.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: token.pos, line: token.line, isAssign: false, decl: [], cmds: [] };
    // Variable declarations: `$x :=`, `$x =`, `$i, $v :=` (range only).
    decls: if (this.peekNonSpace().type === 'variable') {
      const v = this.nextNonSpace();
      const after = this.peek();
      const nxt = this.peekNonSpace();
      if (nxt.type === 'assign' || nxt.type === 'declare') {
        pipe.isAssign = nxt.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
      } else if (nxt.type === 'char' && nxt.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace().type;
          if (p === 'variable' || p === 'rightDelim' || p === 'rightParen') {
            // The second variable of `range $i, $v :=`.
            const v2 = this.nextNonSpace();
            if (v2.type !== 'variable') this.errorf('range can only initialize variables');
            const op = this.nextNonSpace();
            if (op.type !== 'declare' && op.type !== 'assign') this.errorf('range can only initialize variables');
            pipe.isAssign = op.type === 'assign';
            pipe.decl.push({ type: 'variable', pos: v2.pos, ident: [v2.val] });
            this.vars.push(v2.val);
            break decls;
          }
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      } else if (after.type === 'space') {
        this.backup(2);
      } else {
        this.backup();
      }
    }
    for (;;) {
      const tok = this.nextNonSpace();
      if (tok.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (tok.type) {
        case 'bool':
        case 'charConstant':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(tok, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const first = c.args[0]!;
      if (['bool', 'dot', 'nil', 'number', 'string'].includes(first.type)) {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const tok = this.next();
      if (tok.type === 'space') continue;
      if (tok.type === 'rightDelim' || tok.type === 'rightParen') this.backup();
      else if (tok.type !== 'pipe') this.unexpected(tok, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): Node | null {
    const node = this.term();
    if (!node) return null;
    if (this.peek().type === 'field') {
      // Go gives the combined node the position of the first trailing field.
      const pos = this.peek().pos;
      const fields: string[] = [];
      while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
      switch (node.type) {
        case 'field':
          return { type: 'field', pos, ident: [...node.ident, ...fields] };
        case 'variable':
          return { type: 'variable', pos, ident: [...node.ident, ...fields] };
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot':
          this.errorf(`unexpected . after term ${JSON.stringify(nodeString(node))}`);
        // eslint-disable-next-line no-fallthrough
        default:
          return { type: 'chain', pos, node, field: fields };
      }
    }
    return node;
  }

  private term(): Node | null {
    const tok = this.nextNonSpace();
    switch (tok.type) {
      case 'identifier':
        if (!this.funcs.has(tok.val)) this.errorf(`function ${JSON.stringify(tok.val)} not defined`);
        return { type: 'identifier', pos: tok.pos, ident: tok.val };
      case 'dot':
        return { type: 'dot', pos: tok.pos };
      case 'nil':
        return { type: 'nil', pos: tok.pos };
      case 'variable': {
        const name = tok.val;
        if (!this.vars.includes(name)) this.errorf(`undefined variable ${JSON.stringify(name)}`);
        return { type: 'variable', pos: tok.pos, ident: [name] };
      }
      case 'field':
        return { type: 'field', pos: tok.pos, ident: [tok.val.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: tok.pos, value: tok.val === 'true' };
      case 'charConstant':
      case 'number':
        return this.number(tok);
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString':
        return { type: 'string', pos: tok.pos, quoted: tok.val, text: unquote(tok.val, () => this.errorf(`bad string syntax: ${JSON.stringify(tok.val)}`)) };
      default:
        this.backup();
        return null;
    }
  }

  private number(tok: Item): NumberNode {
    const text = tok.val;
    if (tok.type === 'charConstant') {
      const s = unquote(text, () => this.errorf(`malformed character constant: ${text}`));
      const cps = [...s];
      if (cps.length !== 1) this.errorf(`malformed character constant: ${text}`);
      return { type: 'number', pos: tok.pos, text, value: cps[0]!.codePointAt(0)!, isFloat: false };
    }
    if (text.endsWith('i')) this.errorf(`complex numbers are not supported: ${text}`);
    const clean = text.replace(/_/g, '');
    const isHex = /^[+-]?0[xX]/.test(clean);
    const isFloat = !isHex && /[.eE]/.test(clean);
    let value: number;
    if (isFloat || (isHex && /[.pP]/.test(clean))) value = Number(clean);
    else {
      const neg = clean.startsWith('-');
      const body = clean.replace(/^[+-]/, '');
      let v: number;
      if (/^0[bBoOxX]/.test(body)) v = Number(body.toLowerCase().startsWith('0o') ? '0o' + body.slice(2) : body);
      else if (/^0[0-7]+$/.test(body)) v = parseInt(body, 8);
      else v = Number(body);
      value = neg ? -v : v;
    }
    if (!Number.isFinite(value) || Number.isNaN(value)) this.errorf(`illegal number syntax: ${JSON.stringify(text)}`);
    return { type: 'number', pos: tok.pos, text, value, isFloat };
  }
}
