/** Executes a parsed template with Go's text/template semantics and error wording. */
import { checkParam, truth, type FuncMap, type FuncSpec } from './funcs.js';
import { formatValue, goTypeName, isGoStruct, isMap } from './go-fmt.js';
import { nodeString, type ChainNode, type CommandNode, type FieldNode, type ListNode, type Node, type ParsedTemplate, type PipeNode, type VariableNode } from './parser.js';

/** What to do with a missing map key: print `<no value>` (Go's default) or fail. */
export type MissingKey = 'default' | 'error';

export class TemplateExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

const MISSING = Symbol('missing');
type Final = unknown | typeof MISSING;

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

interface Variable {
  readonly name: string;
  value: unknown;
}

export function execute(tmpl: ParsedTemplate, data: unknown, funcs: FuncMap, missingKey: MissingKey = 'default'): string {
  const st = new State(tmpl, funcs, missingKey);
  st.vars.push({ name: '$', value: data });
  st.walk(data, tmpl.root);
  return st.out.join('');
}

class State {
  readonly out: string[] = [];
  readonly vars: Variable[] = [];
  private node: Node | null = null;
  private depth = 0;

  constructor(
    private readonly tmpl: ParsedTemplate,
    private readonly funcs: FuncMap,
    private readonly missingKey: MissingKey,
  ) {}

  private at(n: Node): void {
    this.node = n;
  }

  private errorf(msg: string): never {
    const name = this.tmpl.name;
    if (!this.node) throw new TemplateExecError(`template: ${name}: ${msg}`);
    const pos = this.node.pos;
    const before = this.tmpl.text.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const col = nl < 0 ? pos : pos - (nl + 1);
    let ctx = nodeString(this.node);
    if (ctx.length > 20) ctx = ctx.slice(0, 20) + '...';
    throw new TemplateExecError(`template: ${name}:${line}:${col}: executing ${JSON.stringify(name)} at <${ctx}>: ${msg}`);
  }

  // --- variables ---
  private mark(): number {
    return this.vars.length;
  }

  private pop(mark: number): void {
    this.vars.length = mark;
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: unknown): void {
    this.vars[this.vars.length - n]!.value = value;
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    this.errorf(`undefined variable: ${name}`);
  }

  // --- walking ---
  walk(dot: unknown, n: Node): void {
    this.at(n);
    switch (n.type) {
      case 'action': {
        const val = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) this.printValue(n, val);
        return;
      }
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      case 'if':
      case 'with': {
        const mark = this.mark();
        try {
          const val = this.evalPipeline(dot, n.pipe);
          if (truth(val)) {
            this.walk(n.type === 'with' ? val : dot, n.list);
          } else if (n.elseList) {
            this.walk(dot, n.elseList);
          }
        } finally {
          this.pop(mark);
        }
        return;
      }
      case 'list':
        for (const c of n.nodes) this.walk(dot, c);
        return;
      case 'range':
        this.walkRange(dot, n);
        return;
      case 'template':
        this.walkTemplate(dot, n);
        return;
      case 'text':
        this.out.push(n.text);
        return;
      default:
        this.errorf(`unknown node: ${nodeString(n)}`);
    }
  }

  private walkRange(dot: unknown, r: Extract<Node, { type: 'range' }>): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const one = (index: unknown, elem: unknown): boolean => {
        const decl = r.pipe.decl;
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e === BREAK) return false;
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
        return true;
      };
      let iterated = false;
      if (Array.isArray(val)) {
        for (let i = 0; i < val.length; i++) {
          iterated = true;
          if (!one(i, val[i])) break;
        }
      } else if (isMap(val)) {
        for (const k of Object.keys(val).sort()) {
          iterated = true;
          if (!one(k, val[k])) break;
        }
      } else if (typeof val === 'number' && Number.isInteger(val)) {
        if (r.pipe.decl.length > 1) this.errorf(`can't use ${val} to iterate over more than one variable`);
        for (let i = 0; i < val; i++) {
          iterated = true;
          if (!one(i, i)) break;
        }
      } else if (val !== undefined && val !== null) {
        this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (!iterated && r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: unknown, t: Extract<Node, { type: 'template' }>): void {
    this.at(t);
    const list = this.tmpl.defines.get(t.name);
    if (!list) this.errorf(`no template ${JSON.stringify(t.name)} associated with template ${JSON.stringify(this.tmpl.name)}`);
    const value = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    if (++this.depth > 10000) this.errorf(`exceeded maximum template depth (10000)`);
    const saved = this.vars.splice(0, this.vars.length, { name: '$', value });
    try {
      this.walkList(value, list);
    } finally {
      this.vars.splice(0, this.vars.length, ...saved);
      this.depth--;
    }
  }

  private walkList(dot: unknown, list: ListNode): void {
    for (const c of list.nodes) this.walk(dot, c);
  }

  // --- evaluation ---
  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    const v = value === MISSING ? undefined : value;
    for (const d of pipe.decl) {
      if (pipe.isAssign) this.setVar(d.ident[0]!, v);
      else this.vars.push({ name: d.ident[0]!, value: v });
    }
    return v;
  }

  private notAFunction(args: readonly Node[] | null, final: Final): void {
    if ((args && args.length > 1) || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args![0]!)}`);
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        this.at(first);
        return this.evalCall(dot, first.ident, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
      default:
        break;
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
      // eslint-disable-next-line no-fallthrough
      case 'number':
        return first.value;
      case 'string':
        return first.text;
      default:
        this.errorf(`can't evaluate command ${JSON.stringify(nodeString(first))}`);
    }
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: readonly Node[] | null, final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: readonly Node[] | null, final: Final): unknown {
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const recv = this.evalArg(dot, chain.node);
    return this.evalFieldChain(dot, recv, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: unknown, v: VariableNode, args: readonly Node[] | null, final: Final): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, node: Node, ident: readonly string[], args: readonly Node[] | null, final: Final): unknown {
    let r = receiver;
    for (let i = 0; i < ident.length - 1; i++) r = this.evalField(dot, ident[i]!, node, null, MISSING, r);
    return this.evalField(dot, ident[ident.length - 1]!, node, args, final, r);
  }

  private evalField(dot: unknown, name: string, node: Node, args: readonly Node[] | null, final: Final, receiver: unknown): unknown {
    if (receiver === undefined) {
      if (this.missingKey === 'error') this.errorf(`nil data; no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (isGoStruct(receiver)) {
      const member = fieldOf(receiver, name);
      if (typeof member === 'function') {
        return this.callFunction(dot, { fn: (...a: unknown[]) => (member as (...x: unknown[]) => unknown).apply(receiver, a), params: new Array(member.length).fill('any') }, node, name, args, final);
      }
      if (member !== NOT_FOUND) {
        if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
        return member;
      }
    } else if (isMap(receiver)) {
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      if (Object.hasOwn(receiver, name)) return receiver[name];
      if (this.missingKey === 'error') this.errorf(`map has no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    this.errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  private evalCall(dot: unknown, name: string, cmd: CommandNode, args: readonly Node[], final: Final): unknown {
    const spec = this.funcs.get(name);
    if (!spec) this.errorf(`${JSON.stringify(name)} is not a defined function`);
    if (name === 'and' || name === 'or') {
      const rest = args.slice(1);
      if (rest.length === 0 && final === MISSING) this.errorf(`wrong number of args for ${name}: want at least 1 got 0`);
      let v: unknown;
      for (const a of rest) {
        v = this.evalArg(dot, a);
        if (truth(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }
    return this.callFunction(dot, spec, cmd, name, args, final);
  }

  /** Calls `spec` with the evaluated `args` (the first node is the function itself) plus `final`. */
  private callFunction(dot: unknown, spec: FuncSpec, node: Node, name: string, args: readonly Node[] | null, final: Final): unknown {
    const argNodes = args ? args.slice(1) : [];
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    const fixed = spec.params.length;
    if (spec.variadic !== undefined) {
      if (numIn < fixed) this.errorf(`wrong number of args for ${name}: want at least ${fixed} got ${numIn}`);
    } else if (numIn !== fixed) {
      this.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
    }
    const values: unknown[] = [];
    argNodes.forEach((a, i) => {
      const v = this.evalArg(dot, a);
      const kind = i < fixed ? spec.params[i]! : spec.variadic!;
      const problem = checkParam(kind, v);
      if (problem) {
        this.at(a);
        this.errorf(problem);
      }
      values.push(v);
    });
    if (final !== MISSING) {
      const kind = values.length < fixed ? spec.params[values.length]! : spec.variadic ?? 'any';
      const problem = checkParam(kind, final);
      if (problem) this.errorf(problem);
      values.push(final);
    }
    try {
      return spec.fn(...values);
    } catch (err) {
      if (err instanceof TemplateExecError) throw err;
      this.at(node);
      this.errorf(`error calling ${name}: ${(err as Error).message}`);
    }
  }

  private evalArg(dot: unknown, n: Node): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'field':
        return this.evalFieldNode(dot, n, [n], MISSING);
      case 'variable':
        return this.evalVariableNode(dot, n, null, MISSING);
      case 'pipe':
        return this.evalPipeline(dot, n);
      case 'identifier':
        return this.evalCall(dot, n.ident, { type: 'command', pos: n.pos, args: [n] }, [n], MISSING);
      case 'chain':
        return this.evalChainNode(dot, n, null, MISSING);
      case 'bool':
        return n.value;
      case 'number':
        return n.value;
      case 'string':
        return n.text;
      default:
        this.errorf(`can't handle ${nodeString(n)} for arg`);
    }
  }

  private printValue(n: Node, v: unknown): void {
    this.at(n);
    if (typeof v === 'function') this.errorf(`can't print ${nodeString(n)} of type func`);
    this.out.push(formatValue(v));
  }
}

const NOT_FOUND = Symbol('not found');

/** A struct's exported field or method, or NOT_FOUND; never Object.prototype members. */
function fieldOf(obj: object, name: string): unknown {
  if (!/^[A-Z]/.test(name)) return NOT_FOUND;
  if (!(name in obj)) return NOT_FOUND;
  if (Object.hasOwn(Object.prototype, name)) return NOT_FOUND;
  return (obj as Record<string, unknown>)[name];
}
